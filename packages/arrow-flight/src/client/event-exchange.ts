import { toBinary } from '@bufbuild/protobuf';
import type { ClientDuplexStream, StatusObject } from '@grpc/grpc-js';
import { status as grpcStatus } from '@grpc/grpc-js';
import type { RecordBatch } from 'apache-arrow';
import { FlightError } from '../errors.js';
import { EVENT_EXCHANGE_KIND } from '../exchange/event-exchange-request.js';
import { decodeAcked, decodeBatchMetadata, encodeAck } from '../exchange/exchange-messages.js';
import { FlightDescriptorSchema } from '../gen/Flight_pb.js';
import { decodeFlightStream } from '../ipc/ipc-decoder.js';
import { FlightDataFrame } from '../protocol/flight-data-frame.js';
import type { FlightDataView } from '../protocol/flight-data.js';
import { fromServiceError } from '../protocol/grpc-status.js';
import { commandDescriptor } from './descriptors.js';

/** Options of `FlightClient.exchangeEvents`. */
export interface ExchangeEventsOptions {
  /**
   * Durable consumer name (1-100 of `A-Z a-z 0-9 _ . -`). Exchanges with the same name share
   * the work and the progress; a new name starts at `startFrom`.
   */
  readonly consumer: string;
  /** Only these entity types; the others are done for this consumer without being sent. */
  readonly entityTypes?: readonly string[] | undefined;
  /** Only these event kinds. */
  readonly eventTypes?: readonly ('INSERT' | 'UPDATE' | 'DELETE' | 'CUSTOM')[] | undefined;
  /** Only this tenant (a tenant-bound caller reads its own tenant whatever this says). */
  readonly tenant?: string | undefined;
  /**
   * Where a consumer seen for the first time starts.
   * @defaultValue 'beginning'
   */
  readonly startFrom?: 'beginning' | 'now' | undefined;
  /**
   * Most events sent and not yet acknowledged; the server stops sending at this many.
   * @defaultValue the server's (2000 unless configured)
   */
  readonly window?: number | undefined;
  /** Most events per batch. @defaultValue the server's (1000 unless configured) */
  readonly batchRows?: number | undefined;
  /** Cancels the exchange: unacknowledged events go back for redelivery. */
  readonly signal?: AbortSignal | undefined;
}

/** One batch of an event exchange. */
export interface ExchangedBatch {
  /** Columns `event_id`, `seq`, `event_type`, `entity_type`, `entity_id`, `timestamp`, `data`, `user_id`, `tenant_id`. */
  readonly batch: RecordBatch;
  /** Sequences of the batch's first and last event. */
  readonly firstSeq: bigint;
  readonly lastSeq: bigint;
  /** Events of the batch sent to this consumer before and never acknowledged. */
  readonly redelivered: number;
  /** Acknowledges every event received up to and including this batch's last. */
  ack(): Promise<void>;
}

/**
 * A durable event consumer over DoExchange: iterate it for batches, acknowledge what is done.
 * Events received and not acknowledged when it ends (closed, cancelled, the process died) are
 * delivered again, to this consumer's next exchange.
 */
export interface EventExchange extends AsyncIterable<ExchangedBatch> {
  /**
   * Acknowledges every event received up to and including the one with sequence `seq`;
   * resolves once the server has stored it. Need not be awaited before reading on.
   * @throws {FlightError} `INVALID_ARGUMENT` for a sequence not received or already
   *   acknowledged (the exchange ends), or the exchange's failure.
   */
  ack(seq: bigint | string): Promise<void>;
  /**
   * Ends the exchange: stops receiving, waits until the acknowledgements sent so far are stored,
   * and hands the unacknowledged events back for redelivery.
   */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

interface PendingAck {
  readonly seq: string;
  resolve(): void;
  reject(error: unknown): void;
}

/** Runs the client side of an event exchange on an open DoExchange call. */
export function openEventExchange(
  call: ClientDuplexStream<FlightDataFrame, FlightDataView>,
  options: ExchangeEventsOptions,
): EventExchange {
  const { signal, ...rest } = options;
  const command: Record<string, unknown> = { kind: EVENT_EXCHANGE_KIND };
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) command[key] = value;
  const frames: FlightDataView[] = [];
  const acks: PendingAck[] = [];
  let wake: (() => void) | undefined;
  let failure: FlightError | undefined;
  let failureSeen = false;
  let finished = false;
  let iterating = false;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const notify = (): void => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const end = (error: FlightError | undefined): void => {
    if (finished) return;
    finished = true;
    failure = error;
    const left =
      error ??
      new FlightError(
        'CANCELLED',
        'exchangeEvents: ended before the server stored this acknowledgement',
      );
    for (const ack of acks.splice(0)) ack.reject(left);
    signal?.removeEventListener('abort', onAbort);
    notify();
    finish();
  };
  const onAbort = (): void => {
    call.cancel();
  };

  call.on('data', (frame: FlightDataView) => {
    if (frame.dataHeader.byteLength === 0 && frame.appMetadata.byteLength > 0) {
      const acked = decodeAcked(frame.appMetadata);
      if (acked !== undefined) {
        // Answers come in the order acknowledgements were sent.
        while (acks.length > 0) {
          const head = acks.shift();
          head?.resolve();
          if (head?.seq === acked) break;
        }
        return;
      }
    }
    frames.push(frame);
    notify();
  });
  call.on('error', (error: unknown) => {
    const code = (error as { code?: unknown }).code;
    end(
      signal?.aborted === true && code === grpcStatus.CANCELLED
        ? new FlightError('CANCELLED', 'exchangeEvents: aborted', { cause: signal.reason })
        : fromServiceError(error, 'exchangeEvents'),
    );
  });
  call.on('status', (status: StatusObject) => {
    if (status.code === grpcStatus.OK) end(undefined);
  });

  if (signal?.aborted === true) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  call.write(
    new FlightDataFrame({
      descriptor: toBinary(FlightDescriptorSchema, commandDescriptor(command as { kind: string })),
    }),
  );

  async function* received(): AsyncGenerator<FlightDataView> {
    for (;;) {
      const frame = frames.shift();
      if (frame !== undefined) {
        yield frame;
        continue;
      }
      if (finished) {
        if (failure !== undefined) {
          failureSeen = true;
          throw failure;
        }
        return;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  }

  const exchange: EventExchange = {
    async *[Symbol.asyncIterator](): AsyncGenerator<ExchangedBatch> {
      if (iterating) {
        throw new FlightError('INVALID_ARGUMENT', 'exchangeEvents: iterate an exchange once');
      }
      iterating = true;
      try {
        for await (const { batch, appMetadata } of decodeFlightStream(received())) {
          // apache-arrow's reader yields one empty batch for a stream with no batch at all.
          if (appMetadata.byteLength === 0 && batch.numRows === 0) continue;
          const metadata = decodeBatchMetadata(appMetadata);
          yield {
            batch,
            firstSeq: BigInt(metadata.firstSeq),
            lastSeq: BigInt(metadata.lastSeq),
            redelivered: metadata.redelivered,
            ack: () => exchange.ack(metadata.lastSeq),
          };
        }
      } finally {
        // Leaving the loop (break, an exception in it) ends the exchange.
        if (!finished) await exchange.close().catch(() => undefined);
      }
    },
    ack(seq): Promise<void> {
      if (finished) {
        return Promise.reject(
          failure ?? new FlightError('CLOSED', 'exchangeEvents: the exchange has ended'),
        );
      }
      const text = String(seq);
      const answered = new Promise<void>((resolve, reject) => {
        acks.push({ seq: text, resolve, reject });
      });
      // The caller may not wait for it; a failure also ends the iteration.
      answered.catch(() => undefined);
      call.write(new FlightDataFrame({ appMetadata: encodeAck(text) }));
      return answered;
    },
    async close(): Promise<void> {
      if (!finished) call.end();
      await done;
      if (failure !== undefined && !failureSeen && failure.code !== 'CANCELLED') {
        failureSeen = true;
        throw failure;
      }
    },
    [Symbol.asyncDispose]: () => exchange.close(),
  };
  return exchange;
}
