import { FraiseQLError, isFraiseQLError, type FraiseQLErrorOptions } from '@fraiseql/core';

/** Every failure `@fraiseql/elasticsearch` reports, as a closed set. */
export type ElasticsearchErrorCode =
  | 'INVALID_ARGUMENT'
  | 'CONFIG_INVALID'
  | 'CLIENT_MISSING'
  | 'UNAVAILABLE'
  | 'TIMEOUT'
  | 'REQUEST_REJECTED'
  | 'BULK_ITEM_FAILED'
  | 'SETUP_FAILED'
  | 'ABORTED'
  | 'CLOSED';

/** Extra facts an {@link ElasticsearchError} may carry. */
export interface ElasticsearchErrorOptions extends FraiseQLErrorOptions {
  /** HTTP status the server answered, when it answered. */
  readonly status?: number;
  /** Whether trying again can succeed (connection loss, timeouts, 429, 5xx). */
  readonly retryable?: boolean;
  /** Low-cardinality label for metrics and logs (`network`, `timeout`, `http_429`, `mapping`…). */
  readonly reason?: string;
}

/** An error from `@fraiseql/elasticsearch`. */
export class ElasticsearchError extends FraiseQLError<ElasticsearchErrorCode> {
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly reason: string;

  constructor(
    code: ElasticsearchErrorCode,
    message: string,
    options: ElasticsearchErrorOptions = {},
  ) {
    super(code, message, options);
    this.name = 'ElasticsearchError';
    this.status = options.status;
    this.retryable = options.retryable ?? false;
    this.reason = options.reason ?? code.toLowerCase();
  }
}

/** True for an {@link ElasticsearchError} from any installed copy of `@fraiseql/elasticsearch`. */
export function isElasticsearchError(
  value: unknown,
  code?: ElasticsearchErrorCode,
): value is ElasticsearchError {
  return isFraiseQLError(value, code) && (value as Error).name === 'ElasticsearchError';
}
