import { fromBinary } from '@bufbuild/protobuf';
import {
  status,
  type Metadata,
  type ServerDuplexStream,
  type ServerWritableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import type { Principal } from '../auth/principal.js';
import type { BatchLimits } from '../datasets/flight-stream.js';
import { FlightError } from '../errors.js';
import { FlightDescriptor_DescriptorType, FlightDescriptorSchema } from '../gen/Flight_pb.js';
import type { FlightMetrics } from '../metrics/flight-metrics.js';
import type { FlightDataFrame } from '../protocol/flight-data-frame.js';
import type { FlightDataView } from '../protocol/flight-data.js';
import { grpcStatusName } from '../protocol/grpc-status.js';
import type { StreamRegistry } from '../server/stream-registry.js';
import { writeWithBackpressure } from '../server/write-stream.js';
import type { ExchangeTarget } from './exchange-target.js';

interface DoExchangeDeps {
  readonly targets: readonly ExchangeTarget[];
  readonly authenticate: (call: { metadata: Metadata; getPeer(): string }) => Promise<Principal>;
  readonly failure: (method: string, error: unknown) => Partial<ServiceError>;
  readonly batch: BatchLimits;
  readonly streams: StreamRegistry;
  readonly metrics: FlightMetrics;
  readonly newId: () => string;
}

type ExchangeCall = ServerDuplexStream<FlightDataView, FlightDataFrame>;

/** Pulls the client's messages one at a time (the stream pauses in between). */
function frames(call: ExchangeCall): AsyncIterator<FlightDataView> {
  // Not the default iterator: it destroys the stream when the client's side ends, and the
  // session may still write after that.
  const readable = call as unknown as {
    iterator(options: { destroyOnReturn: boolean }): AsyncIterable<FlightDataView>;
  };
  return readable.iterator({ destroyOnReturn: false })[Symbol.asyncIterator]();
}

function peerHost(call: ExchangeCall): string {
  const peer = call.getPeer();
  const colon = peer.lastIndexOf(':');
  return colon > 0 ? peer.slice(0, colon) : peer;
}

/**
 * DoExchange: the first message's CMD descriptor picks the session (a target's `accept`), which
 * then reads the client's further messages and writes its own until it is done. The call is
 * registered as a running stream (limits, the `cancel` action, health, shutdown). A client that
 * cancels ends the session quietly: nothing is reported as a failure.
 */
export function createDoExchange(deps: DoExchangeDeps) {
  return (call: ExchangeCall): void => {
    const controller = new AbortController();
    call.on('cancelled', () => {
      controller.abort(new FlightError('CANCELLED', 'client cancelled'));
    });
    call.on('error', () => undefined);
    let kind = 'exchange';
    let outcome = 'OK';
    const started = performance.now();
    let unregister: (() => void) | undefined;
    const run = async (): Promise<void> => {
      const principal = await deps.authenticate(call);
      const iterator = frames(call);
      const first = await iterator.next();
      if (first.done === true) {
        throw new FlightError('INVALID_ARGUMENT', 'DoExchange: the client sent no message');
      }
      const descriptorBytes = first.value.descriptor;
      if (descriptorBytes === undefined) {
        throw new FlightError(
          'INVALID_ARGUMENT',
          'DoExchange: the first message must carry a FlightDescriptor naming the exchange',
        );
      }
      let descriptor;
      try {
        descriptor = fromBinary(FlightDescriptorSchema, descriptorBytes);
      } catch (cause) {
        throw new FlightError('INVALID_ARGUMENT', 'DoExchange: malformed FlightDescriptor', {
          cause,
        });
      }
      if (descriptor.type !== FlightDescriptor_DescriptorType.CMD) {
        throw new FlightError(
          'INVALID_ARGUMENT',
          'DoExchange: the descriptor must be a CMD, e.g. {"kind": "event-exchange", "consumer": "…"}',
        );
      }
      let session;
      let target: ExchangeTarget | undefined;
      for (const candidate of deps.targets) {
        session = candidate.accept(descriptor.cmd, principal);
        if (session !== undefined) {
          target = candidate;
          break;
        }
      }
      if (session === undefined || target === undefined) {
        throw new FlightError(
          'UNIMPLEMENTED',
          'DoExchange: this command is not an exchange this server offers',
        );
      }
      kind = target.kind;
      unregister = deps.streams.open({
        id: deps.newId(),
        kind,
        subject: principal.subject,
        client: `${principal.subject}@${peerHost(call)}`,
        startedAt: Date.now(),
        controller,
      });
      deps.metrics.streamStarted(kind);
      const messages: AsyncIterable<FlightDataView> = {
        [Symbol.asyncIterator]: () => iterator,
      };
      await session(
        {
          messages,
          write: (frame) =>
            writeWithBackpressure(
              call as unknown as ServerWritableStream<unknown, unknown>,
              frame,
              controller.signal,
            ) ?? Promise.resolve(),
          batchSent: (rows, bytes) => {
            deps.metrics.batchSent(kind, rows, bytes);
          },
        },
        { principal, signal: controller.signal, batch: deps.batch },
      );
    };
    run().then(
      () => {
        finish();
        call.end();
      },
      (error: unknown) => {
        if (controller.signal.aborted && call.cancelled) {
          outcome = 'CANCELLED';
          finish();
          return;
        }
        const serviceError = deps.failure('DoExchange', error);
        outcome = grpcStatusName(serviceError.code ?? status.INTERNAL);
        finish();
        call.emit('error', serviceError);
      },
    );
    function finish(): void {
      if (unregister === undefined) return;
      unregister();
      unregister = undefined;
      deps.metrics.streamEnded(kind, outcome, (performance.now() - started) / 1000);
    }
  };
}
