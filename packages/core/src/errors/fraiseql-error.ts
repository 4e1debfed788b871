const BRAND = Symbol.for('@fraiseql/error');

/** Options accepted by every FraiseQL error constructor. */
export interface FraiseQLErrorOptions {
  /** The underlying failure, kept on `error.cause`. */
  cause?: unknown;
  /** Structured facts about the failure (ids, paths, values) for logs and callers. */
  details?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * Base class of every error thrown by `@fraiseql/*` packages. Each package narrows `code` to a
 * closed union in its own `errors.ts`.
 */
export class FraiseQLError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly details: Readonly<Record<string, unknown>>;
  declare readonly [BRAND]: true;

  constructor(code: Code, message: string, options: FraiseQLErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FraiseQLError';
    this.code = code;
    this.details = options.details ?? {};
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
  }
}

/**
 * True for any FraiseQL error, also one created by another installed copy of a package (the
 * check uses a global symbol, not `instanceof`). With `code`, also checks the code.
 */
export function isFraiseQLError(value: unknown, code?: string): value is FraiseQLError {
  if (typeof value !== 'object' || value === null) return false;
  const branded = (value as Record<symbol, unknown>)[BRAND] === true;
  if (!branded) return false;
  return code === undefined || (value as { code?: unknown }).code === code;
}
