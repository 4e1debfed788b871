import { create, toBinary } from '@bufbuild/protobuf';
import {
  credentials as grpcCredentials,
  makeGenericClientConstructor,
  Metadata,
  type CallOptions,
  type Client,
  type ClientDuplexStream,
  type ClientReadableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { Table, type RecordBatch, type Schema } from 'apache-arrow';
import { FlightError } from '../errors.js';
import {
  ActionSchema,
  BasicAuthSchema,
  CriteriaSchema,
  EmptySchema,
  HandshakeRequestSchema,
  TicketSchema,
  type ActionType,
  type FlightDescriptor,
  type FlightInfo,
  type HandshakeRequest,
  type HandshakeResponse,
  type PutResult,
  type Result,
  type SchemaResult,
  FlightDescriptorSchema,
} from '../gen/Flight_pb.js';
import { IpcEncoder } from '../ipc/ipc-encoder.js';
import { FlightDataFrame } from '../protocol/flight-data-frame.js';
import { decodeFlightStream, decodeSchema, type ReceivedBatch } from '../ipc/ipc-decoder.js';
import type { FlightDataView } from '../protocol/flight-data.js';
import { flightServiceDefinition } from '../protocol/flight-service-definition.js';
import { fromServiceError } from '../protocol/grpc-status.js';
import {
  openEventExchange,
  type EventExchange,
  type ExchangeEventsOptions,
} from './event-exchange.js';
import {
  sqlMetadataDescriptor,
  sqlQueryDescriptor,
  type FlightSqlMetadataRequest,
} from './flight-sql-descriptors.js';

/** Options for {@link FlightClient}. */
export interface FlightClientOptions {
  /** `grpc://host:port` (or `grpc+tcp://`, or `host:port`). */
  url: string;
  /** A bearer token from an earlier handshake. */
  token?: string | undefined;
  /**
   * Largest message accepted.
   * @defaultValue 64 MiB
   */
  maxMessageBytes?: number | undefined;
  /**
   * HTTP/2 receive window of the connection and of each stream: how many bytes the server may
   * send before this client acknowledges them. gRPC's 64 KiB default makes a large DoGet wait
   * for a round trip every 64 KiB.
   * @defaultValue 16 MiB
   */
  flowControlWindowBytes?: number | undefined;
}

/** Per-call options. */
export interface CallOptionsWithSignal {
  signal?: AbortSignal | undefined;
}

/** One endpoint of a flight: its ticket and the stream id the `cancel` action takes. */
export interface FlightEndpointInfo {
  readonly ticket: Uint8Array;
  readonly streamId: string | undefined;
  readonly expiresAt: Date | undefined;
}

/** A FlightInfo with its schema decoded. */
export interface FlightInfoResult {
  readonly schema: Schema;
  readonly descriptor: FlightDescriptor | undefined;
  readonly endpoints: readonly FlightEndpointInfo[];
  readonly totalRecords: number;
  readonly raw: FlightInfo;
}

type Rpc = Client & Record<string, (...args: unknown[]) => unknown>;
const FlightServiceClient = makeGenericClientConstructor(flightServiceDefinition, 'FlightService');

function target(url: string): string {
  return url.replace(/^grpc(\+tcp)?:\/\//, '');
}

function toInfo(raw: FlightInfo): FlightInfoResult {
  return {
    schema: decodeSchema(raw.schema),
    descriptor: raw.flightDescriptor,
    endpoints: raw.endpoint.map((endpoint) => {
      let streamId: string | undefined;
      try {
        const parsed = JSON.parse(new TextDecoder().decode(endpoint.appMetadata)) as {
          streamId?: unknown;
        };
        streamId = typeof parsed.streamId === 'string' ? parsed.streamId : undefined;
      } catch {
        streamId = undefined;
      }
      const seconds = endpoint.expirationTime?.seconds;
      return {
        ticket: endpoint.ticket?.ticket ?? new Uint8Array(0),
        streamId,
        expiresAt: seconds === undefined ? undefined : new Date(Number(seconds) * 1000),
      };
    }),
    totalRecords: Number(raw.totalRecords),
    raw,
  };
}

/** A running grpc-js call as the client tracks it. */
interface ActiveCall {
  cancel(): void;
  on(event: 'status', listener: () => void): unknown;
}

/**
 * An Arrow Flight client for Node on `@grpc/grpc-js`: authenticate, list and describe flights,
 * read streams as record batches or a `Table`, run actions. Failures are {@link FlightError}s
 * that keep the gRPC status (`error.grpcCode`).
 *
 * @example
 * const client = new FlightClient({ url: 'grpc://127.0.0.1:50051' });
 * try {
 *   const info = await client.getFlightInfo(pathDescriptor('table', 'trips'));
 *   const table = await client.doGetTable(info.endpoints[0].ticket);
 * } finally {
 *   client.close();
 * }
 */
export class FlightClient {
  readonly #rpc: Rpc;
  /** Calls started and not yet finished (their final status not yet received). */
  readonly #active = new Set<ActiveCall>();
  #token: string | undefined;

  constructor(options: FlightClientOptions) {
    const max = options.maxMessageBytes ?? 64 * 1024 * 1024;
    this.#rpc = new FlightServiceClient(target(options.url), grpcCredentials.createInsecure(), {
      'grpc.max_receive_message_length': max,
      'grpc.max_send_message_length': max,
      'grpc-node.flow_control_window': options.flowControlWindowBytes ?? 16 * 1024 * 1024,
    }) as unknown as Rpc;
    this.#token = options.token;
  }

  /** The bearer token in use (after {@link FlightClient.handshake}). */
  get token(): string | undefined {
    return this.#token;
  }

  #metadata(): Metadata {
    const metadata = new Metadata();
    if (this.#token !== undefined) metadata.set('authorization', `Bearer ${this.#token}`);
    return metadata;
  }

  /**
   * Authenticates with a username and password (sent as a `BasicAuth` handshake payload) or an
   * API key, and keeps the bearer token for every later call.
   * @throws {FlightError} `UNAUTHENTICATED`.
   */
  async handshake(
    credentials: { username: string; password: string } | { apiKey: string },
    options: CallOptionsWithSignal = {},
  ): Promise<string> {
    const payload =
      'apiKey' in credentials
        ? new TextEncoder().encode(credentials.apiKey)
        : toBinary(BasicAuthSchema, create(BasicAuthSchema, credentials));
    const call = this.#call('Handshake', new Metadata(), this.#callOptions()) as ClientDuplexStream<
      HandshakeRequest,
      HandshakeResponse
    >;
    const abort = this.#bindAbort(call, options.signal);
    try {
      const responses = new Promise<HandshakeResponse>((resolve, reject) => {
        call.on('data', (response: HandshakeResponse) => {
          resolve(response);
        });
        call.on('error', reject);
        call.on('end', () => {
          reject(new FlightError('UNAUTHENTICATED', 'handshake: server sent no token'));
        });
      });
      call.write(create(HandshakeRequestSchema, { protocolVersion: 0n, payload }));
      call.end();
      const response = await responses;
      this.#token = new TextDecoder().decode(response.payload);
      return this.#token;
    } catch (error) {
      throw fromServiceError(error, 'handshake');
    } finally {
      abort();
    }
  }

  /** Flights the server offers, optionally filtered by a path substring. */
  async *listFlights(
    filter = '',
    options: CallOptionsWithSignal = {},
  ): AsyncGenerator<FlightInfoResult> {
    const criteria = create(CriteriaSchema, { expression: new TextEncoder().encode(filter) });
    for await (const raw of this.#stream<FlightInfo>(
      'ListFlights',
      criteria,
      'listFlights',
      options,
    )) {
      yield toInfo(raw);
    }
  }

  /** @throws {FlightError} with the server's status. */
  getFlightInfo(
    descriptor: FlightDescriptor,
    options: CallOptionsWithSignal = {},
  ): Promise<FlightInfoResult> {
    return this.#unary<FlightInfo>('GetFlightInfo', descriptor, 'getFlightInfo', options).then(
      toInfo,
    );
  }

  /** @throws {FlightError} with the server's status. */
  async getSchema(
    descriptor: FlightDescriptor,
    options: CallOptionsWithSignal = {},
  ): Promise<Schema> {
    const result = await this.#unary<SchemaResult>('GetSchema', descriptor, 'getSchema', options);
    return decodeSchema(result.schema);
  }

  /** Reads a ticket's stream as record batches with their app metadata. */
  async *doGetWithMetadata(
    ticket: Uint8Array,
    options: CallOptionsWithSignal = {},
  ): AsyncGenerator<ReceivedBatch> {
    const frames = this.#stream<FlightDataView>(
      'DoGet',
      create(TicketSchema, { ticket }),
      'doGet',
      options,
    );
    yield* decodeFlightStream(frames);
  }

  /** Reads a ticket's stream as record batches. */
  async *doGet(
    ticket: Uint8Array,
    options: CallOptionsWithSignal = {},
  ): AsyncGenerator<RecordBatch> {
    for await (const { batch } of this.doGetWithMetadata(ticket, options)) yield batch;
  }

  /** Reads a ticket's whole stream into a `Table`. */
  async doGetTable(ticket: Uint8Array, options: CallOptionsWithSignal = {}): Promise<Table> {
    const batches: RecordBatch[] = [];
    for await (const batch of this.doGet(ticket, options)) batches.push(batch);
    return new Table(batches);
  }

  /**
   * Runs a Flight SQL query (`CommandStatementQuery`) and reads every endpoint into a `Table`.
   * @throws {FlightError} `INVALID_ARGUMENT` with the parser's position for a refused query.
   */
  query(sql: string, options: CallOptionsWithSignal = {}): Promise<Table> {
    return this.#readAll(sqlQueryDescriptor(sql), options);
  }

  /** A Flight SQL metadata call (catalogs, schemas, tables, table types, primary keys, SqlInfo). */
  sqlMetadata(
    request: FlightSqlMetadataRequest,
    options: CallOptionsWithSignal = {},
  ): Promise<Table> {
    return this.#readAll(sqlMetadataDescriptor(request), options);
  }

  async #readAll(descriptor: FlightDescriptor, options: CallOptionsWithSignal): Promise<Table> {
    const info = await this.getFlightInfo(descriptor, options);
    const batches: RecordBatch[] = [];
    for (const endpoint of info.endpoints) {
      for await (const batch of this.doGet(endpoint.ticket, options)) batches.push(batch);
    }
    return batches.length === 0 ? new Table(info.schema) : new Table(batches);
  }

  /** Runs an action and returns each result body parsed as JSON (or as text when not JSON). */
  async doAction(
    type: string,
    body: unknown = {},
    options: CallOptionsWithSignal = {},
  ): Promise<unknown[]> {
    const action = create(ActionSchema, {
      type,
      body: new TextEncoder().encode(JSON.stringify(body)),
    });
    const results: unknown[] = [];
    for await (const result of this.#stream<Result>('DoAction', action, 'doAction', options)) {
      const text = new TextDecoder().decode(result.body);
      try {
        results.push(JSON.parse(text));
      } catch {
        results.push(text);
      }
    }
    return results;
  }

  /** Runs an action with a binary body and returns the result bodies as they came. */
  async doActionRaw(
    type: string,
    body: Uint8Array,
    options: CallOptionsWithSignal = {},
  ): Promise<Uint8Array[]> {
    const results: Uint8Array[] = [];
    for await (const result of this.#stream<Result>(
      'DoAction',
      create(ActionSchema, { type, body }),
      'doAction',
      options,
    )) {
      results.push(result.body);
    }
    return results;
  }

  /**
   * Uploads record batches (DoPut) under a descriptor and returns each `PutResult.app_metadata`.
   * The batches are framed from Arrow IPC messages, schema first.
   * @throws {FlightError} with the server's status.
   */
  async doPut(
    descriptor: FlightDescriptor,
    batches: Iterable<RecordBatch> | AsyncIterable<RecordBatch>,
    options: CallOptionsWithSignal = {},
  ): Promise<Uint8Array[]> {
    const call = this.#call('DoPut', this.#metadata(), this.#callOptions()) as ClientDuplexStream<
      FlightDataFrame,
      PutResult
    >;
    const unbind = this.#bindAbort(call, options.signal);
    const results: Uint8Array[] = [];
    const done = new Promise<void>((resolve, reject) => {
      call.on('data', (result: PutResult) => {
        results.push(result.appMetadata);
      });
      call.on('error', reject);
      call.on('end', resolve);
    });
    done.catch(() => undefined);
    try {
      const encoder = new IpcEncoder();
      let first = true;
      // Frames go to grpc-js as FlightDataFrames: each body is copied once, into the message
      // grpc-js sends, and lands 8-byte aligned for the server to read without a copy.
      const write = (frame: FlightDataFrame): Promise<void> =>
        new Promise((resolve) => {
          if (call.write(frame)) resolve();
          else call.once('drain', resolve);
        });
      const stopIfAborted = (): void => {
        // Never half-close after an abort: the server would take a cut stream as complete.
        if (options.signal?.aborted === true) {
          throw new FlightError('CANCELLED', 'doPut: aborted', { cause: options.signal.reason });
        }
      };
      for await (const batch of batches) {
        stopIfAborted();
        if (first) {
          await write(
            new FlightDataFrame({
              descriptor: toBinary(FlightDescriptorSchema, descriptor),
              dataHeader: encoder.schemaMessage(batch.schema).header,
            }),
          );
          first = false;
        }
        for (const message of encoder.batchMessages(batch)) {
          await write(
            new FlightDataFrame(
              { dataHeader: message.header, bodyParts: message.bodyParts },
              { alignBody: true },
            ),
          );
        }
      }
      if (first) {
        throw new FlightError(
          'INVALID_ARGUMENT',
          'doPut: no batch to send (the schema comes from the first)',
        );
      }
      stopIfAborted();
      call.end();
      await done;
      return results;
    } catch (error) {
      call.cancel();
      if (error instanceof FlightError) throw error;
      throw fromServiceError(error, 'doPut');
    } finally {
      unbind();
    }
  }

  /**
   * Opens a durable event consumer over DoExchange: an async iterable of event batches, with
   * `ack(seq)`. Progress is stored on the server per consumer name, so a consumer that ends or
   * dies resumes after its last acknowledged event; only unacknowledged events come again.
   *
   * @example
   * const exchange = client.exchangeEvents({ consumer: 'billing', entityTypes: ['order'] });
   * try {
   *   for await (const batch of exchange) {
   *     await store(batch.batch);
   *     void batch.ack();
   *   }
   * } finally {
   *   await exchange.close();
   * }
   */
  exchangeEvents(options: ExchangeEventsOptions): EventExchange {
    const call = this.#call(
      'DoExchange',
      this.#metadata(),
      this.#callOptions(),
    ) as ClientDuplexStream<FlightDataFrame, FlightDataView>;
    return openEventExchange(call, options);
  }

  /** The actions the server offers. */
  async listActions(options: CallOptionsWithSignal = {}): Promise<ActionType[]> {
    const types: ActionType[] = [];
    for await (const type of this.#stream<ActionType>(
      'ListActions',
      create(EmptySchema),
      'listActions',
      options,
    )) {
      types.push(type);
    }
    return types;
  }

  /**
   * Closes the channel and cancels every call still running on it: a stream being read ends
   * with `CANCELLED`, a pending unary call rejects with it, and the server sees the cancel.
   */
  close(): void {
    for (const call of [...this.#active]) call.cancel();
    this.#active.clear();
    this.#rpc.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #call(method: string, ...args: unknown[]): unknown {
    const fn = this.#rpc[method];
    if (fn === undefined) throw new FlightError('INTERNAL', `no RPC ${method}`);
    const call = fn.apply(this.#rpc, args) as ActiveCall;
    // Kept until its final status, so that close() can cancel it.
    this.#active.add(call);
    call.on('status', () => {
      this.#active.delete(call);
    });
    return call;
  }

  #callOptions(): CallOptions {
    return {};
  }

  #bindAbort(call: { cancel(): void }, signal: AbortSignal | undefined): () => void {
    if (signal === undefined) return () => undefined;
    const onAbort = (): void => {
      call.cancel();
    };
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    return () => {
      signal.removeEventListener('abort', onAbort);
    };
  }

  #unary<T>(
    method: string,
    request: unknown,
    doing: string,
    options: CallOptionsWithSignal,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let unbind = (): void => undefined;
      const call = this.#call(
        method,
        request,
        this.#metadata(),
        this.#callOptions(),
        (error: ServiceError | null, value: T) => {
          unbind();
          if (error === null) resolve(value);
          else reject(fromServiceError(error, doing));
        },
      ) as { cancel(): void };
      unbind = this.#bindAbort(call, options.signal);
    });
  }

  async *#stream<T>(
    method: string,
    request: unknown,
    doing: string,
    options: CallOptionsWithSignal,
  ): AsyncGenerator<T> {
    const call = this.#call(
      method,
      request,
      this.#metadata(),
      this.#callOptions(),
    ) as ClientReadableStream<T>;
    const unbind = this.#bindAbort(call, options.signal);
    try {
      for await (const message of call) yield message as T;
    } catch (error) {
      if (options.signal?.aborted === true) {
        throw new FlightError('CANCELLED', `${doing}: aborted`, { cause: options.signal.reason });
      }
      throw fromServiceError(error, doing);
    } finally {
      unbind();
      // Stopping early (break, return, an exception in the loop) cancels the server stream.
      call.cancel();
    }
  }
}
