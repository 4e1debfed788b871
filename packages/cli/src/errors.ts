import { FraiseQLError, isFraiseQLError, type FraiseQLErrorOptions } from '@fraiseql/core';

/** Every failure the `fraiseql` command reports, as a closed set. */
export type CliErrorCode =
  | 'USAGE'
  | 'CONFIG_MISSING'
  | 'DEPENDENCY_MISSING'
  | 'SERVICE_UNREACHABLE'
  | 'NOT_FOUND'
  | 'FAILED';

/** An error of the `fraiseql` command; `USAGE` exits with 2, every other code with 1. */
export class CliError extends FraiseQLError<CliErrorCode> {
  constructor(code: CliErrorCode, message: string, options?: FraiseQLErrorOptions) {
    super(code, message, options);
    this.name = 'CliError';
  }
}

/** True for a {@link CliError} from any installed copy of `@fraiseql/cli`. */
export function isCliError(value: unknown, code?: CliErrorCode): value is CliError {
  return isFraiseQLError(value, code) && (value as Error).name === 'CliError';
}

/** Exit code of a failure: 2 for usage mistakes, 1 for everything else. */
export function exitCodeOf(error: unknown): 1 | 2 {
  return isCliError(error, 'USAGE') ? 2 : 1;
}
