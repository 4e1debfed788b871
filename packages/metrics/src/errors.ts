import { FraiseQLError, isFraiseQLError, type FraiseQLErrorOptions } from '@fraiseql/core';

/** Every failure `@fraiseql/metrics` reports, as a closed set. */
export type MetricsErrorCode = 'INVALID_ARGUMENT' | 'METRIC_CONFLICT' | 'LISTEN_FAILED';

/** An error from `@fraiseql/metrics`. */
export class MetricsError extends FraiseQLError<MetricsErrorCode> {
  constructor(code: MetricsErrorCode, message: string, options: FraiseQLErrorOptions = {}) {
    super(code, message, options);
    this.name = 'MetricsError';
  }
}

/** True for a {@link MetricsError} from any installed copy of `@fraiseql/metrics`. */
export function isMetricsError(value: unknown, code?: MetricsErrorCode): value is MetricsError {
  return isFraiseQLError(value, code) && (value as Error).name === 'MetricsError';
}
