import { isObserverError, ObserverError } from '../errors.js';

/** Redis errors that go away by themselves. */
const TRANSIENT_REDIS_REPLIES = /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY)\b/;

/** Network error codes worth another attempt. */
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * Parses a `Retry-After` header (delay in seconds, or an HTTP date) into milliseconds from
 * `now`; `undefined` when absent or unparseable, `0` for a date in the past.
 */
export function parseRetryAfter(
  value: string | readonly string[] | undefined,
  now: number = Date.now(),
): number | undefined {
  const text = (
    Array.isArray(value) ? (value as readonly string[])[0] : (value as string | undefined)
  )?.trim();
  if (text === undefined || text === '') return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * The error for a non-2xx HTTP status, or `undefined` for 2xx. 5xx, 408 and 429 are retryable
 * (with `Retry-After` honoured); other statuses are permanent.
 *
 * @param target - a redacted description such as `POST https://example.com` (never a full URL).
 */
export function httpStatusError(
  status: number,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  target: string,
  detail?: string,
): ObserverError | undefined {
  if (status >= 200 && status < 300) return undefined;
  const retryable = status >= 500 || status === 408 || status === 429;
  const errorType =
    status === 429
      ? 'http_429'
      : status >= 500
        ? 'http_5xx'
        : status >= 400
          ? 'http_4xx'
          : status >= 300
            ? 'http_3xx'
            : 'http_1xx';
  const retryAfterMs = retryable ? parseRetryAfter(headers['retry-after']) : undefined;
  const suffix = detail === undefined || detail === '' ? '' : `: ${detail}`;
  return new ObserverError('ACTION_FAILED', `${target} answered HTTP ${status}${suffix}`, {
    retryable,
    errorType,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    details: { status },
  });
}

/** What {@link classifyError} needs to know besides the error. */
export interface ClassifyContext {
  /** Redacted description of the destination (`POST https://example.com`, `smtp.example.com:587`). */
  readonly target: string;
  /** The signal the attempt ran under: when aborted, the failure is a timeout or a shutdown. */
  readonly signal?: AbortSignal;
}

/**
 * Maps any failure of an action attempt to an `ObserverError` with `retryable` and a
 * low-cardinality `errorType` (`timeout`, `network`, `ssrf`, `template`, ...). An
 * `ObserverError` passes through (template errors get `errorType: 'template'`).
 */
export function classifyError(error: unknown, context: ClassifyContext): ObserverError {
  if (isObserverError(error)) {
    if (error.code === 'TEMPLATE_ERROR' && error.errorType !== 'template') {
      return new ObserverError('TEMPLATE_ERROR', error.message, {
        cause: error,
        retryable: false,
        errorType: 'template',
      });
    }
    return error;
  }
  const signal = context.signal;
  if (signal?.aborted === true) return abortFailure(signal, context.target, error);
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return new ObserverError('ACTION_TIMEOUT', `${context.target}: timed out (${code})`, {
      cause: error,
      retryable: true,
      errorType: 'timeout',
    });
  }
  if (
    (code !== undefined && RETRYABLE_NETWORK_CODES.has(code)) ||
    /socket hang up/i.test(message)
  ) {
    return new ObserverError(
      'ACTION_FAILED',
      `${context.target}: network error ${code ?? message}`,
      {
        cause: error,
        retryable: true,
        errorType: 'network',
      },
    );
  }
  if (code?.includes('INVALID') === true || error instanceof TypeError) {
    // The request itself is malformed (a header value with a newline, a bad method): retrying
    // cannot help.
    return new ObserverError('ACTION_FAILED', `${context.target}: invalid request (${message})`, {
      cause: error,
      retryable: false,
      errorType: 'invalid_request',
    });
  }
  return new ObserverError('ACTION_FAILED', `${context.target}: ${code ?? message}`, {
    cause: error,
    retryable: true,
    errorType: 'network',
  });
}

/**
 * The failure of an attempt whose signal aborted: the signal's reason when it is an
 * `ObserverError` (the execution layer aborts with `ACTION_TIMEOUT`), a retryable `timeout` for
 * a `TimeoutError` reason, and a retryable `aborted` (shutdown) otherwise.
 */
export function abortFailure(signal: AbortSignal, target: string, cause?: unknown): ObserverError {
  const reason: unknown = signal.reason;
  if (isObserverError(reason)) return reason;
  const timedOut = reason instanceof Error && reason.name === 'TimeoutError';
  return new ObserverError(
    timedOut ? 'ACTION_TIMEOUT' : 'ACTION_FAILED',
    timedOut ? `${target}: timed out` : `${target}: aborted`,
    { cause: cause ?? reason, retryable: true, errorType: timedOut ? 'timeout' : 'aborted' },
  );
}

/** The `code` of an error or of the first error in its `cause` chain that has one. */
function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * SMTP replies: 4xx is transient, 5xx permanent; authentication and message errors are
 * permanent; connection and timeout errors are retryable.
 */
export function classifySmtpError(
  error: unknown,
  target: string,
  signal: AbortSignal,
): ObserverError {
  if (isObserverError(error)) return error;
  if (signal.aborted) return classifyError(error, { target, signal });
  const { code, responseCode } = error as { code?: unknown; responseCode?: unknown };
  if (typeof responseCode === 'number') {
    const retryable = responseCode >= 400 && responseCode < 500;
    return new ObserverError('ACTION_FAILED', `${target} replied ${responseCode}`, {
      cause: error,
      retryable,
      errorType: 'smtp',
      details: { responseCode },
    });
  }
  if (code === 'EAUTH' || code === 'EENVELOPE' || code === 'EMESSAGE') {
    return new ObserverError('ACTION_FAILED', `${target}: ${code}`, {
      cause: error,
      retryable: false,
      errorType: 'smtp',
    });
  }
  if (code === 'ETIMEDOUT') {
    return new ObserverError('ACTION_TIMEOUT', `${target}: timed out`, {
      cause: error,
      retryable: true,
      errorType: 'timeout',
    });
  }
  if (code === 'ECONNECTION' || code === 'ESOCKET' || code === 'EDNS' || code === 'ETLS') {
    return new ObserverError('ACTION_FAILED', `${target}: network error ${code}`, {
      cause: error,
      retryable: true,
      errorType: 'network',
    });
  }
  return classifyError(error, { target, signal });
}

/**
 * Redis failures: a refused command (`WRONGTYPE`, `NOPERM`, `NOAUTH`, …) is permanent unless
 * Redis says it is transient (`LOADING`, `BUSY`, `TRYAGAIN`, …); connection errors are retryable.
 */
export function classifyRedisError(
  error: unknown,
  target: string,
  signal: AbortSignal,
): ObserverError {
  if (isObserverError(error)) return error;
  if (signal.aborted) return classifyError(error, { target, signal });
  const { name, message } = error instanceof Error ? error : { name: '', message: String(error) };
  if (name === 'ReplyError') {
    const retryable = TRANSIENT_REDIS_REPLIES.test(message);
    return new ObserverError('ACTION_FAILED', `${target}: ${message}`, {
      cause: error,
      retryable,
      errorType: 'redis',
    });
  }
  return new ObserverError('ACTION_FAILED', `${target}: ${message}`, {
    cause: error,
    retryable: true,
    errorType: 'redis',
  });
}
