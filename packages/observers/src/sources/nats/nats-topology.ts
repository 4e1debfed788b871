import type { Logger } from '@fraiseql/core';
import { ObserverError } from '../../errors.js';
import type {
  NatsClientLike,
  NatsConsumerConfigLike,
  NatsStreamConfigLike,
} from './nats-client.js';
import type { ResolvedNatsConfig } from './nats-config.js';

const NANOS_PER_MS = 1_000_000;

/** Subject filter matching every event subject: `{subjectPrefix}.>`. */
export function eventSubjects(config: ResolvedNatsConfig): string {
  return `${config.subjectPrefix}.>`;
}

/** The event stream as the config describes it. */
export function eventStreamConfig(config: ResolvedNatsConfig): NatsStreamConfigLike {
  return {
    name: config.stream,
    subjects: [eventSubjects(config)],
    duplicate_window: config.duplicateWindow * NANOS_PER_MS,
    max_age: config.maxAge * NANOS_PER_MS,
    max_msgs: config.maxMessages,
    max_bytes: config.maxBytes,
    storage: config.storage,
    num_replicas: config.replicas,
    retention: 'limits',
    discard: 'old',
  };
}

/** The dead-letter stream: kept like the event stream, on its own subject. */
export function deadLetterStreamConfig(config: ResolvedNatsConfig): NatsStreamConfigLike {
  return {
    ...eventStreamConfig(config),
    name: config.deadLetterStream,
    subjects: [config.deadLetterSubject],
  };
}

/**
 * Makes sure a stream exists. `update` also brings an existing stream's subjects, duplicate
 * window, age and size limits in line with the config (storage and replicas only apply when
 * the stream is created); without it an existing stream is used as it is.
 *
 * @throws {ObserverError} `TRANSPORT_UNAVAILABLE` when the server refuses the stream.
 */
export async function ensureStream(
  client: NatsClientLike,
  desired: NatsStreamConfigLike,
  options: { update: boolean; logger: Logger },
): Promise<void> {
  const current = await client.manager.streams.info(desired.name).catch((error: unknown) => {
    if (client.isNotFound(error)) return undefined;
    throw refused(`stream ${desired.name}`, error);
  });
  if (current === undefined) {
    try {
      await client.manager.streams.add(desired);
      options.logger.info({ stream: desired.name, subjects: desired.subjects }, 'stream created');
      return;
    } catch (error) {
      // Another instance may have created it in between: fall through to the update check.
      const raced = await client.manager.streams.info(desired.name).catch(() => undefined);
      if (raced === undefined) throw refused(`stream ${desired.name}`, error);
    }
  }
  if (!options.update) return;
  const latest = await client.manager.streams.info(desired.name);
  const managed: Partial<NatsStreamConfigLike> = {
    subjects: desired.subjects,
    duplicate_window: desired.duplicate_window,
    max_age: desired.max_age,
    max_msgs: desired.max_msgs,
    max_bytes: desired.max_bytes,
  };
  const drift = Object.entries(managed).filter(
    ([key, value]) =>
      JSON.stringify(latest.config[key as keyof NatsStreamConfigLike]) !== JSON.stringify(value),
  );
  if (drift.length === 0) return;
  try {
    await client.manager.streams.update(desired.name, managed);
  } catch (error) {
    throw refused(`stream ${desired.name} update`, error);
  }
  options.logger.info(
    { stream: desired.name, changed: drift.map(([key]) => key) },
    'stream settings updated',
  );
}

/**
 * Makes sure the durable pull consumer exists with the config's settings. The consumer is
 * created with unlimited deliveries on purpose: the server drops a message that reaches its
 * own `max_deliver` without telling any worker, so the limit is enforced by the workers, who
 * move such a message to the dead-letter stream (with the reason) before acknowledging it.
 *
 * @throws {ObserverError} `CONFIG_INVALID` when an existing consumer of that name filters
 * other subjects; `TRANSPORT_UNAVAILABLE` when the server refuses the consumer.
 */
export async function ensureConsumer(
  client: NatsClientLike,
  config: ResolvedNatsConfig,
  logger: Logger,
): Promise<void> {
  const desired: NatsConsumerConfigLike = {
    durable_name: config.durable,
    ack_policy: 'explicit',
    deliver_policy: 'all',
    ack_wait: config.ackWait * NANOS_PER_MS,
    max_deliver: -1,
    max_ack_pending: config.maxAckPending,
    filter_subject: eventSubjects(config),
    description: `FraiseQL observers; dead-letters after ${config.maxDeliver} deliveries`,
  };
  const current = await client.manager.consumers
    .info(config.stream, config.durable)
    .catch((error: unknown) => {
      if (client.isNotFound(error)) return undefined;
      throw refused(`consumer ${config.stream}/${config.durable}`, error);
    });
  if (current === undefined) {
    try {
      await client.manager.consumers.add(config.stream, desired);
      logger.info({ stream: config.stream, durable: config.durable }, 'consumer created');
    } catch (error) {
      throw refused(`consumer ${config.stream}/${config.durable}`, error);
    }
    return;
  }
  if (current.config.filter_subject !== desired.filter_subject) {
    throw new ObserverError(
      'CONFIG_INVALID',
      `nats.durable: consumer "${config.durable}" on stream ${config.stream} filters "${typeof current.config.filter_subject === 'string' ? current.config.filter_subject : '(all)'}", not "${desired.filter_subject}": choose another durable name or delete the consumer`,
      { details: { stream: config.stream, durable: config.durable } },
    );
  }
  const changeable = {
    ack_wait: desired.ack_wait,
    max_deliver: desired.max_deliver,
    max_ack_pending: desired.max_ack_pending,
    description: desired.description,
  } satisfies Partial<NatsConsumerConfigLike>;
  const drift = Object.entries(changeable).filter(
    ([key, value]) => current.config[key as keyof NatsConsumerConfigLike] !== value,
  );
  if (drift.length === 0) return;
  try {
    await client.manager.consumers.update(config.stream, config.durable, changeable);
  } catch (error) {
    throw refused(`consumer ${config.stream}/${config.durable} update`, error);
  }
  logger.info(
    { stream: config.stream, durable: config.durable, changed: drift.map(([key]) => key) },
    'consumer settings updated',
  );
}

function refused(what: string, cause: unknown): ObserverError {
  return new ObserverError('TRANSPORT_UNAVAILABLE', `NATS refused ${what}: ${String(cause)}`, {
    cause,
    retryable: true,
    errorType: 'nats_topology',
  });
}
