import { FraiseQLError, isFraiseQLError, type FraiseQLErrorOptions } from '@fraiseql/core';

/** Every failure `@fraiseql/console` reports, as a closed set. */
export type ConsoleErrorCode =
  /** An option is out of range or malformed. */
  | 'INVALID_ARGUMENT'
  /** The built browser app is not where the package ships it (a broken install or build). */
  | 'ASSETS_MISSING';

/** An error from `@fraiseql/console`. */
export class ConsoleError extends FraiseQLError<ConsoleErrorCode> {
  constructor(code: ConsoleErrorCode, message: string, options: FraiseQLErrorOptions = {}) {
    super(code, message, options);
    this.name = 'ConsoleError';
  }
}

/** True for a {@link ConsoleError} from any installed copy of `@fraiseql/console`. */
export function isConsoleError(value: unknown, code?: ConsoleErrorCode): value is ConsoleError {
  return isFraiseQLError(value, code) && (value as Error).name === 'ConsoleError';
}
