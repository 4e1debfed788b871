import { FraiseQLError, isFraiseQLError, type FraiseQLErrorOptions } from '@fraiseql/core';

/** Every failure `@fraiseql/ddl-gen` reports, as a closed set. */
export type DdlGenErrorCode =
  | 'SCHEMA_INVALID'
  | 'UNKNOWN_ENTITY'
  | 'INVALID_IDENTIFIER'
  | 'SOURCE_VIEW_MISSING'
  | 'SOURCE_VIEW_SHAPE'
  | 'INTROSPECTION_FAILED'
  | 'UNKNOWN_PROJECTION'
  | 'CHECK_TIMEOUT'
  | 'INVALID_ARGUMENT';

/** An error from `@fraiseql/ddl-gen`. */
export class DdlGenError extends FraiseQLError<DdlGenErrorCode> {
  constructor(code: DdlGenErrorCode, message: string, options?: FraiseQLErrorOptions) {
    super(code, message, options);
    this.name = 'DdlGenError';
  }
}

/** True for a {@link DdlGenError} from any installed copy of `@fraiseql/ddl-gen`. */
export function isDdlGenError(value: unknown, code?: DdlGenErrorCode): value is DdlGenError {
  return isFraiseQLError(value, code) && (value as Error).name === 'DdlGenError';
}
