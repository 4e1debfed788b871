import type { Authenticator } from '../auth/authenticator.js';
import { FlightError, isFlightError } from '../errors.js';
import { IpcEncoder, type IpcMessage } from '../ipc/ipc-encoder.js';
import type { FlightMetrics } from '../metrics/flight-metrics.js';
import { grpcStatusName, grpcStatusOf } from '../protocol/grpc-status.js';
import type { TicketSigner } from '../tickets/ticket-signer.js';
import type { DescriptorRouter } from './descriptor-router.js';
import type { FlightServerConfig } from './flight-server-options.js';
import type { StreamRegistry } from './stream-registry.js';

/** The media type of an Arrow IPC stream. */
export const ARROW_STREAM_CONTENT_TYPE = 'application/vnd.apache.arrow.stream';

/** Options of `FlightServer.readIpcStream`. */
export interface IpcStreamOptions {
  /** The caller's `Authorization` header value (bearer token, basic credentials or API key). */
  readonly authorization?: string | undefined;
  /** Aborting stops the stream and releases what it holds. */
  readonly signal?: AbortSignal | undefined;
  /** Who is asking, for the per-client stream limit (an address). @defaultValue 'http' */
  readonly client?: string | undefined;
}

interface Deps {
  readonly config: FlightServerConfig;
  readonly router: DescriptorRouter;
  readonly authenticator: Authenticator;
  readonly tickets: TicketSigner;
  readonly streams: StreamRegistry;
  readonly metrics: FlightMetrics;
}

const CONTINUATION = 0xffffffff;
const PADDING = new Uint8Array(8);

/** One encapsulated message of the IPC stream format: marker, length, header, padding, body. */
function* frame(message: IpcMessage): Generator<Uint8Array> {
  const padded = (message.header.byteLength + 7) & ~7;
  const prefix = new Uint8Array(8);
  const view = new DataView(prefix.buffer);
  view.setUint32(0, CONTINUATION, true);
  view.setInt32(4, padded, true);
  yield prefix;
  yield message.header;
  if (padded > message.header.byteLength) {
    yield PADDING.subarray(0, padded - message.header.byteLength);
  }
  for (const part of message.bodyParts) yield part;
}

/**
 * Redeems a ticket as an Arrow IPC stream (`application/vnd.apache.arrow.stream`) instead of
 * FlightData: the same authentication, ticket checks, handlers, stream limits and metrics as
 * DoGet, for browsers and tools that cannot speak gRPC. The caller is authenticated and the
 * ticket verified before this resolves, so an HTTP handler can answer 401/403 before sending a
 * status line.
 */
export function createIpcStreamer(deps: Deps) {
  const { config, router, authenticator, tickets, streams, metrics } = deps;
  return async (
    ticket: Uint8Array,
    options: IpcStreamOptions = {},
  ): Promise<AsyncIterable<Uint8Array>> => {
    const { principal } = await authenticator.authenticate(options.authorization);
    const claims = await tickets.verify(ticket);
    if ((claims.tenant ?? null) !== (principal.tenant ?? null)) {
      throw new FlightError('PERMISSION_DENIED', 'ticket: issued to another tenant');
    }
    const handler = router.handler(claims.kind);
    const request = handler.parse(claims.request);
    handler.authorize(request, principal);
    const kind = handler.kind;
    const controller = new AbortController();
    const outer = options.signal;
    const onAbort = (): void => {
      controller.abort(outer?.reason);
    };
    const started = performance.now();
    const unregister = streams.open({
      id: claims.streamId,
      kind,
      subject: principal.subject,
      client: `${principal.subject}@${options.client ?? 'http'}`,
      startedAt: Date.now(),
      controller,
    });
    metrics.streamStarted(kind);
    outer?.addEventListener('abort', onAbort, { once: true });
    let stream;
    try {
      stream = await handler.open(request, {
        principal,
        signal: controller.signal,
        batch: config.batch,
      });
    } catch (error) {
      outer?.removeEventListener('abort', onAbort);
      unregister();
      metrics.streamEnded(kind, statusOf(error, controller.signal), 0);
      throw error;
    }
    const opened = stream;
    return (async function* body(): AsyncGenerator<Uint8Array> {
      let outcome = 'CANCELLED';
      try {
        const ipc = new IpcEncoder();
        yield* frame(ipc.schemaMessage(opened.schema));
        let first = true;
        for await (const { batch } of opened.batches(controller.signal)) {
          let bytes = 0;
          for (const message of ipc.batchMessages(batch)) {
            for (const part of frame(message)) {
              bytes += part.byteLength;
              yield part;
            }
          }
          metrics.batchSent(kind, batch.numRows, bytes);
          if (first) {
            first = false;
            metrics.firstBatch(kind, (performance.now() - started) / 1000);
          }
        }
        controller.signal.throwIfAborted();
        const end = new Uint8Array(8);
        new DataView(end.buffer).setUint32(0, CONTINUATION, true);
        yield end;
        outcome = 'OK';
      } catch (error) {
        outcome = statusOf(error, controller.signal);
        throw error;
      } finally {
        // Also reached when the consumer stops early (the HTTP client went away).
        if (!controller.signal.aborted) controller.abort(new FlightError('CANCELLED', 'closed'));
        outer?.removeEventListener('abort', onAbort);
        unregister();
        metrics.streamEnded(kind, outcome, (performance.now() - started) / 1000);
      }
    })();
  };
}

function statusOf(error: unknown, signal: AbortSignal): string {
  if (signal.aborted && !isFlightError(error)) return 'CANCELLED';
  return grpcStatusName(grpcStatusOf(isFlightError(error) ? error.code : 'INTERNAL'));
}
