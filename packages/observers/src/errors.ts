import { FraiseQLError, isFraiseQLError, type FraiseQLErrorOptions } from '@fraiseql/core';

/** Every failure `@fraiseql/observers` reports, as a closed set. */
export type ObserverErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_ENV_MISSING'
  | 'CONDITION_SYNTAX'
  | 'CONDITION_EVAL'
  | 'TEMPLATE_ERROR'
  | 'ACTION_FAILED'
  | 'ACTION_TIMEOUT'
  | 'ACTION_UNSUPPORTED'
  | 'SSRF_BLOCKED'
  | 'CIRCUIT_OPEN'
  | 'MALFORMED_EVENT'
  | 'SOURCE_FAILED'
  | 'LEASE_LOST'
  | 'TRANSPORT_UNAVAILABLE'
  | 'PAYLOAD_TOO_LARGE'
  | 'DLQ_NOT_FOUND'
  | 'DUPLICATE_IN_PROGRESS'
  | 'OBSERVER_PAUSED'
  | 'INVALID_ARGUMENT'
  | 'CLOSED';

/** Extra facts an {@link ObserverError} may carry. */
export interface ObserverErrorOptions extends FraiseQLErrorOptions {
  /** Whether trying again can succeed (network errors, 5xx, 408, 429). */
  retryable?: boolean | undefined;
  /** Server-requested delay before the next attempt (`Retry-After`), in milliseconds. */
  retryAfterMs?: number | undefined;
  /** Low-cardinality label for metrics (`timeout`, `http_5xx`, `network`, `ssrf`, ...). */
  errorType?: string | undefined;
  /**
   * The event was handed back, not failed: deliver it again later (after `retryAfterMs`)
   * without counting the delivery against the retry budget. @defaultValue `false`
   */
  deferred?: boolean | undefined;
}

/** An error from `@fraiseql/observers`. */
export class ObserverError extends FraiseQLError<ObserverErrorCode> {
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly errorType: string;
  /** True when the event was handed back for later, not failed (see {@link ObserverErrorOptions.deferred}). */
  readonly deferred: boolean;

  constructor(code: ObserverErrorCode, message: string, options: ObserverErrorOptions = {}) {
    super(code, message, options);
    this.name = 'ObserverError';
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.errorType = options.errorType ?? code.toLowerCase();
    this.deferred = options.deferred ?? false;
  }
}

/** True for an {@link ObserverError} from any installed copy of `@fraiseql/observers`. */
export function isObserverError(value: unknown, code?: ObserverErrorCode): value is ObserverError {
  return isFraiseQLError(value, code) && (value as Error).name === 'ObserverError';
}
