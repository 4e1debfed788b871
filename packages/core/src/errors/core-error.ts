import { FraiseQLError, isFraiseQLError, type FraiseQLErrorOptions } from './fraiseql-error.js';

/** Every failure `@fraiseql/core` reports, as a closed set. */
export type CoreErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_DURATION'
  | 'MALFORMED_CHANGE_LOG_ROW'
  | 'MALFORMED_EVENT'
  | 'MIGRATION_FAILED'
  | 'MIGRATION_INCOMPLETE'
  | 'MIGRATION_CHECKSUM_MISMATCH'
  | 'CAPTURE_TARGET_MISSING'
  | 'DATABASE_ERROR'
  | 'LEASE_LOST'
  | 'CLOSED';

/** An error from `@fraiseql/core`. */
export class CoreError extends FraiseQLError<CoreErrorCode> {
  constructor(code: CoreErrorCode, message: string, options?: FraiseQLErrorOptions) {
    super(code, message, options);
    this.name = 'CoreError';
  }
}

/** True for a {@link CoreError} from any installed copy of `@fraiseql/core`. */
export function isCoreError(value: unknown, code?: CoreErrorCode): value is CoreError {
  return isFraiseQLError(value, code) && (value as Error).name === 'CoreError';
}
