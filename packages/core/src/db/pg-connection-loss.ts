// Network errors a lost or unreachable server produces (Node's errno codes).
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

// What node-postgres says when a connection ends under it or cannot be used any more.
const DRIVER_MESSAGES =
  /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect|Connection ended/i;

/**
 * True when `error` means the connection to PostgreSQL was lost or could not be opened (the
 * server restarted, shut down, terminated the backend, or cannot be reached), as opposed to a
 * statement the server answered with an error. SQLSTATE classes: `08` (connection exception),
 * `57P01`–`57P03` (shutdown, crash, not yet accepting connections) and `53300` (too many
 * connections).
 */
export function isConnectionLoss(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (code.startsWith('08') && code.length === 5) return true;
    if (code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') return true;
    if (NETWORK_CODES.has(code)) return true;
  }
  return typeof message === 'string' && DRIVER_MESSAGES.test(message);
}
