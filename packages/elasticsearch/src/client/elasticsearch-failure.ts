import { ElasticsearchError } from '../errors.js';

/**
 * Maps whatever a client request threw (the `errors.*` classes of `@elastic/elasticsearch` and
 * of the OpenSearch client, matched by `name` so any installed copy works) to an
 * {@link ElasticsearchError}. This is the one place wire failures become codes.
 *
 * @param doing - what was being done (`bulk to fraiseql-events-2026.05`), never a URL or secret.
 */
export function elasticsearchFailure(
  error: unknown,
  doing: string,
  signal?: AbortSignal,
): ElasticsearchError {
  if (error instanceof ElasticsearchError) return error;
  if (signal?.aborted === true) {
    return new ElasticsearchError('ABORTED', `${doing}: aborted`, {
      cause: error,
      retryable: true,
      reason: 'aborted',
    });
  }
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  switch (name) {
    case 'ResponseError': {
      const { statusCode, body } = responseOf(error);
      return statusFailure(statusCode ?? 0, body, doing, error);
    }
    case 'TimeoutError':
      return new ElasticsearchError('TIMEOUT', `${doing}: timed out`, {
        cause: error,
        retryable: true,
        reason: 'timeout',
      });
    case 'ConnectionError':
    case 'NoLivingConnectionsError':
      return new ElasticsearchError('UNAVAILABLE', `${doing}: ${redact(message)}`, {
        cause: error,
        retryable: true,
        reason: 'network',
      });
    case 'RequestAbortedError':
      return new ElasticsearchError('ABORTED', `${doing}: aborted`, {
        cause: error,
        retryable: true,
        reason: 'aborted',
      });
    case 'ProductNotSupportedError':
      return new ElasticsearchError(
        'REQUEST_REJECTED',
        `${doing}: the server is not a supported Elasticsearch or OpenSearch`,
        { cause: error, reason: 'product' },
      );
    default:
      return new ElasticsearchError('REQUEST_REJECTED', `${doing}: ${redact(message)}`, {
        cause: error,
        reason: 'client',
      });
  }
}

/**
 * The error for a non-2xx status: 408, 429 and 5xx are retryable; 413 (`too_large`) and other
 * 4xx are not. The reason is the server's error `type` when it sent one.
 */
export function statusFailure(
  status: number,
  body: unknown,
  doing: string,
  cause?: unknown,
): ElasticsearchError {
  const retryable = status === 408 || status === 429 || status >= 500 || status === 0;
  const type = errorTypeOf(body);
  const reason =
    status === 429
      ? 'http_429'
      : status === 413
        ? 'too_large'
        : status >= 500
          ? 'http_5xx'
          : (type ?? `http_${status}`);
  const detail = errorReasonOf(body);
  return new ElasticsearchError(
    retryable ? 'UNAVAILABLE' : 'REQUEST_REJECTED',
    `${doing}: HTTP ${status}${type === undefined ? '' : ` ${type}`}${detail === undefined ? '' : `: ${detail}`}`,
    { cause, status, retryable, reason },
  );
}

/** `error.type` of an Elasticsearch error body (`{"error":{"type":…}}`), if any. */
export function errorTypeOf(body: unknown): string | undefined {
  const error = (body as { error?: unknown } | null | undefined)?.error;
  if (typeof error === 'string') return undefined;
  const type = (error as { type?: unknown } | null | undefined)?.type;
  return typeof type === 'string' ? type : undefined;
}

/** `error.reason` of an Elasticsearch error body, shortened for messages. */
export function errorReasonOf(body: unknown): string | undefined {
  const error = (body as { error?: unknown } | null | undefined)?.error;
  const reason =
    typeof error === 'string' ? error : (error as { reason?: unknown } | null | undefined)?.reason;
  return typeof reason === 'string' ? reason.slice(0, 300) : undefined;
}

function responseOf(error: unknown): { statusCode: number | undefined; body: unknown } {
  const meta = (error as { meta?: { statusCode?: unknown; body?: unknown } }).meta;
  const statusCode =
    typeof meta?.statusCode === 'number'
      ? meta.statusCode
      : (error as { statusCode?: unknown }).statusCode;
  return {
    statusCode: typeof statusCode === 'number' ? statusCode : undefined,
    body: meta?.body ?? (error as { body?: unknown }).body,
  };
}

// Connection errors may quote the node URL, which can carry credentials.
function redact(message: string): string {
  return message.replace(/\/\/[^/@\s]*@/g, '//***@').slice(0, 300);
}
