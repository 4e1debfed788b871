import type { ServerWritableStream } from '@grpc/grpc-js';
import { FlightError } from '../errors.js';

/**
 * Writes one message to a server stream and waits for `drain` when grpc-js's buffer is full,
 * so a slow client slows the producer (and the database cursor behind it) instead of growing
 * server memory.
 */
export function writeWithBackpressure(
  call: ServerWritableStream<unknown, unknown>,
  message: unknown,
  signal: AbortSignal,
): Promise<void> | undefined {
  if (call.write(message)) return undefined;
  return new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      call.off('drain', onDrain);
      call.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
    };
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onClose = (): void => {
      cleanup();
      reject(new FlightError('CANCELLED', 'client went away'));
    };
    const onAbort = (): void => {
      cleanup();
      reject(
        signal.reason instanceof Error ? signal.reason : new FlightError('CANCELLED', 'aborted'),
      );
    };
    call.on('drain', onDrain);
    call.on('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
