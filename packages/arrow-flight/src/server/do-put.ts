import { create, fromBinary } from '@bufbuild/protobuf';
import type { Metadata, ServerDuplexStream, ServiceError } from '@grpc/grpc-js';
import type { RecordBatch } from 'apache-arrow';
import type { Principal } from '../auth/principal.js';
import type { BatchLimits } from '../datasets/flight-stream.js';
import { FlightError } from '../errors.js';
import {
  FlightDescriptor_DescriptorType,
  FlightDescriptorSchema,
  PutResultSchema,
  type PutResult,
} from '../gen/Flight_pb.js';
import { decodeFlightStream } from '../ipc/ipc-decoder.js';
import type { FlightDataView } from '../protocol/flight-data.js';
import type { PutTarget } from './flight-extension.js';

interface DoPutDeps {
  readonly targets: readonly PutTarget[];
  readonly authenticate: (call: { metadata: Metadata; getPeer(): string }) => Promise<Principal>;
  readonly failure: (method: string, error: unknown) => Partial<ServiceError>;
  readonly batch: BatchLimits;
}

/** Pulls the client's FlightData messages one at a time (the stream pauses in between). */
async function* frames(
  call: ServerDuplexStream<FlightDataView, PutResult>,
): AsyncGenerator<FlightDataView> {
  // Not the default iterator: it destroys the stream when the client's side ends, and the
  // answer still has to be written after that.
  const readable = call as unknown as {
    iterator(options: { destroyOnReturn: boolean }): AsyncIterable<FlightDataView>;
  };
  for await (const frame of readable.iterator({ destroyOnReturn: false })) yield frame;
}

interface PingableSession {
  ping(callback: (error: Error | null) => void): boolean;
  readonly destroyed?: boolean;
}

/** The HTTP/2 session under a grpc-js server call (internal fields, looked up defensively). */
function sessionOf(call: object): PingableSession | undefined {
  let node = (call as { call?: unknown }).call;
  for (let depth = 0; depth < 8 && typeof node === 'object' && node !== null; depth++) {
    const session = (node as { stream?: { session?: unknown } }).stream?.session;
    if (typeof (session as PingableSession | undefined)?.ping === 'function') {
      return session as PingableSession;
    }
    node = (node as { nextCall?: unknown }).nextCall;
  }
  return undefined;
}

/**
 * Resolves once every frame the client sent before it saw this moment has been read. A Node
 * client that cancels an upload half-closes its stream and resets it right after, in one
 * write: the clean end of the stream arrives first and must not be taken for a complete
 * upload. An HTTP/2 PING's answer comes after anything the client queued before it, so once
 * it is back a reset that followed the half-close has been seen. Without access to the
 * session (an unknown grpc-js layout) a short wait stands in for it.
 */
function frameBarrier(call: object): Promise<void> {
  const session = sessionOf(call);
  if (session === undefined || session.destroyed === true) {
    return new Promise((resolve) => setTimeout(resolve, 25));
  }
  return new Promise((resolve) => {
    let sent = false;
    try {
      // A failed ping (the session is closing) ends the wait too; the caller checks the call.
      sent = session.ping(() => {
        setImmediate(resolve);
      });
    } catch {
      sent = false;
    }
    if (!sent) setTimeout(resolve, 25);
  });
}

/**
 * DoPut: the first message's CMD descriptor picks the upload target; the Arrow stream is
 * decoded batch by batch and handed to it, and what it returns goes back as `PutResult`s.
 * A failure ends the call with the error's status; nothing is answered before the target is
 * done, so a client never reads a success for a rolled-back upload.
 */
export function createDoPut(deps: DoPutDeps) {
  return (call: ServerDuplexStream<FlightDataView, PutResult>): void => {
    const controller = new AbortController();
    call.on('cancelled', () => {
      controller.abort(new FlightError('CANCELLED', 'client cancelled'));
    });
    call.on('error', () => undefined);
    const run = async (): Promise<void> => {
      const principal = await deps.authenticate(call);
      const iterator = frames(call);
      const first = await iterator.next();
      if (first.done === true) throw new FlightError('INVALID_ARGUMENT', 'DoPut: empty stream');
      const descriptorBytes = first.value.descriptor;
      if (descriptorBytes === undefined) {
        throw new FlightError(
          'INVALID_ARGUMENT',
          'DoPut: the first message must carry a descriptor',
        );
      }
      let descriptor;
      try {
        descriptor = fromBinary(FlightDescriptorSchema, descriptorBytes);
      } catch (cause) {
        throw new FlightError('INVALID_ARGUMENT', 'DoPut: malformed descriptor', { cause });
      }
      if (descriptor.type !== FlightDescriptor_DescriptorType.CMD) {
        throw new FlightError(
          'UNIMPLEMENTED',
          'DoPut: only CMD descriptors name upload targets here',
        );
      }
      let consumer;
      for (const target of deps.targets) {
        consumer = target.accept(descriptor.cmd);
        if (consumer !== undefined) break;
      }
      if (consumer === undefined) {
        throw new FlightError(
          'UNIMPLEMENTED',
          'DoPut: this command is not an upload target of this server',
        );
      }
      async function* all(): AsyncGenerator<FlightDataView> {
        yield first.value as FlightDataView;
        for (;;) {
          const next = await iterator.next();
          if (next.done === true) {
            // The client's side ended: complete, unless a reset right behind it says the
            // client cancelled (targets commit when the stream ends, so this is decided here).
            await frameBarrier(call);
            if (call.cancelled || controller.signal.aborted) {
              throw new FlightError('CANCELLED', 'DoPut: the client cancelled the upload');
            }
            return;
          }
          yield next.value;
        }
      }
      async function* batches(): AsyncGenerator<RecordBatch> {
        try {
          for await (const { batch } of decodeFlightStream(all())) yield batch;
        } catch (cause) {
          if (cause instanceof FlightError) throw cause;
          throw new FlightError('INVALID_ARGUMENT', 'DoPut: malformed Arrow stream', { cause });
        }
      }
      const results = await consumer(batches(), {
        principal,
        signal: controller.signal,
        batch: deps.batch,
      });
      for (const appMetadata of results) {
        call.write(create(PutResultSchema, { appMetadata }));
      }
    };
    run().then(
      () => {
        call.end();
      },
      (error: unknown) => {
        if (controller.signal.aborted && call.cancelled) return;
        call.emit('error', deps.failure('DoPut', error));
      },
    );
  };
}
