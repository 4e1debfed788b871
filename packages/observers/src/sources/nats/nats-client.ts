import type * as NatsJetStream from '@nats-io/jetstream';
import type * as NatsTransport from '@nats-io/transport-node';
import { ObserverError } from '../../errors.js';

// The slice of `@nats-io/transport-node` and `@nats-io/jetstream` this transport calls, typed
// structurally so that the packages stay optional peers: they are imported only when a NATS
// bridge or source starts, and nothing in the public types refers to them.

/** Message headers (`MsgHdrs`). */
export interface NatsHeadersLike {
  get(key: string): string;
  set(key: string, value: string): void;
  has(key: string): boolean;
}

/** Delivery facts of a JetStream message (`DeliveryInfo`). */
export interface NatsDeliveryInfoLike {
  readonly stream: string;
  readonly consumer: string;
  readonly deliveryCount: number;
  readonly streamSequence: number;
  readonly pending: number;
}

/** A message delivered by a pull consumer (`JsMsg`). */
export interface NatsMsgLike {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: NatsHeadersLike | undefined;
  readonly info: NatsDeliveryInfoLike;
  ackAck(options?: { timeout: number }): Promise<boolean>;
  nak(delayMs?: number): void;
  working(): void;
}

/** A batch of messages from one pull request (`ConsumerMessages`). */
export interface NatsFetchLike extends AsyncIterable<NatsMsgLike> {
  close(): Promise<unknown>;
}

/** A pull consumer (`Consumer`). */
export interface NatsPullConsumerLike {
  fetch(options: { max_messages: number; expires: number }): Promise<NatsFetchLike>;
}

/** The server's answer to a JetStream publish (`PubAck`). */
export interface NatsPubAckLike {
  readonly stream: string;
  readonly seq: number;
  readonly duplicate: boolean;
}

/** Options of a JetStream publish (`JetStreamPublishOptions`). */
export interface NatsPublishOptionsLike {
  msgID?: string;
  timeout?: number;
  headers?: NatsHeadersLike;
}

/** A JetStream client (`JetStreamClient`). */
export interface JetStreamClientLike {
  publish(
    subject: string,
    payload: Uint8Array,
    options?: NatsPublishOptionsLike,
  ): Promise<NatsPubAckLike>;
  readonly consumers: { get(stream: string, name: string): Promise<NatsPullConsumerLike> };
}

/** The stream settings this transport manages (`StreamConfig`). */
export interface NatsStreamConfigLike {
  name: string;
  subjects: string[];
  duplicate_window: number;
  max_age: number;
  max_msgs: number;
  max_bytes: number;
  storage: 'file' | 'memory';
  num_replicas: number;
  retention: 'limits';
  discard: 'old';
}

/** The consumer settings this transport manages (`ConsumerConfig`). */
export interface NatsConsumerConfigLike {
  durable_name: string;
  ack_policy: 'explicit';
  deliver_policy: 'all';
  ack_wait: number;
  max_deliver: number;
  max_ack_pending: number;
  filter_subject: string;
  description: string;
}

/** A stream's or consumer's info: its current config (read loosely: servers add fields). */
export interface NatsInfoLike<Config> {
  readonly config: { readonly [Key in keyof Config]?: unknown };
}

/** A consumer's info: its config and delivery state (`ConsumerInfo`). */
export interface NatsConsumerInfoLike extends NatsInfoLike<NatsConsumerConfigLike> {
  /** Messages not yet delivered. */
  readonly num_pending: number;
  /** Messages delivered and not yet acknowledged. */
  readonly num_ack_pending: number;
  /** Everything up to this stream sequence is acknowledged. */
  readonly ack_floor: { readonly stream_seq: number };
}

/** JetStream management (`JetStreamManager`). */
export interface JetStreamManagerLike {
  readonly streams: {
    info(name: string): Promise<NatsInfoLike<NatsStreamConfigLike>>;
    add(config: NatsStreamConfigLike): Promise<unknown>;
    update(name: string, config: Partial<NatsStreamConfigLike>): Promise<unknown>;
    delete(name: string): Promise<boolean>;
    getMessage(stream: string, query: { seq: number }): Promise<{ readonly time: Date } | null>;
  };
  readonly consumers: {
    info(stream: string, name: string): Promise<NatsConsumerInfoLike>;
    add(stream: string, config: NatsConsumerConfigLike): Promise<unknown>;
    update(stream: string, name: string, config: Partial<NatsConsumerConfigLike>): Promise<unknown>;
  };
}

/** Connection status events (`Status`). */
export interface NatsStatusLike {
  readonly type: string;
}

/** A NATS connection (`NatsConnection`). */
export interface NatsConnectionLike {
  readonly info?: { readonly version: string; readonly max_payload: number } | undefined;
  status(): AsyncIterable<NatsStatusLike>;
  drain(): Promise<void>;
  close(): Promise<void>;
  isClosed(): boolean;
}

/** Options passed to `connect`. */
export interface NatsConnectOptionsLike {
  servers: string[];
  name: string;
  token?: string;
  user?: string;
  pass?: string;
  maxReconnectAttempts: number;
  reconnectTimeWait: number;
  waitOnFirstConnect: boolean;
}

/** A connected client with its JetStream handles. */
export interface NatsClientLike {
  readonly connection: NatsConnectionLike;
  readonly jetstream: JetStreamClientLike;
  readonly manager: JetStreamManagerLike;
  headers(): NatsHeadersLike;
  /** True when `error` says the stream or consumer asked for does not exist. */
  isNotFound(error: unknown): boolean;
}

/** Connects to NATS; the default implementation loads the optional `@nats-io/*` peers. */
export type NatsConnector = (options: NatsConnectOptionsLike) => Promise<NatsClientLike>;

/**
 * Connects with the optional `@nats-io/transport-node` and `@nats-io/jetstream` packages,
 * imported on first use.
 *
 * @throws {ObserverError} `TRANSPORT_UNAVAILABLE` when the packages are not installed or the
 * server cannot be reached.
 */
export const connectNatsClient: NatsConnector = async (options) => {
  let transport: typeof NatsTransport;
  let jetstreamModule: typeof NatsJetStream;
  try {
    [transport, jetstreamModule] = await Promise.all([
      import('@nats-io/transport-node'),
      import('@nats-io/jetstream'),
    ]);
  } catch (cause) {
    throw new ObserverError(
      'TRANSPORT_UNAVAILABLE',
      'the NATS transport needs the optional packages @nats-io/transport-node and @nats-io/jetstream: install them next to @fraiseql/observers',
      { cause },
    );
  }
  let connection: Awaited<ReturnType<typeof transport.connect>>;
  try {
    connection = await transport.connect(options);
  } catch (cause) {
    throw new ObserverError(
      'TRANSPORT_UNAVAILABLE',
      `cannot connect to NATS at ${options.servers.map(redactServer).join(', ')}: ${String(cause)}`,
      { cause, retryable: true, errorType: 'nats_connect' },
    );
  }
  try {
    const manager = await jetstreamModule.jetstreamManager(connection);
    return {
      connection,
      jetstream: jetstreamModule.jetstream(connection),
      manager,
      headers: () => transport.headers(),
      isNotFound: (error) =>
        error instanceof jetstreamModule.JetStreamApiError &&
        (error.status === 404 ||
          error.code === jetstreamModule.JetStreamApiCodes.StreamNotFound ||
          error.code === jetstreamModule.JetStreamApiCodes.ConsumerNotFound),
    };
  } catch (cause) {
    await connection.close();
    throw new ObserverError(
      'TRANSPORT_UNAVAILABLE',
      `NATS at ${options.servers.map(redactServer).join(', ')} has no JetStream: start the server with -js (${String(cause)})`,
      { cause, errorType: 'nats_jetstream' },
    );
  }
};

/** A server URL without its credentials, for messages and logs. */
export function redactServer(server: string): string {
  return server.replace(/\/\/[^@/]*@/, '//***@');
}
