import { FraiseQLError, isFraiseQLError, type FraiseQLErrorOptions } from '@fraiseql/core';

/** Every failure `@fraiseql/clickhouse` reports, as a closed set. */
export type ClickHouseErrorCode =
  /** Options or arguments that cannot work (bad identifier, bad URL, bad range). */
  | 'INVALID_ARGUMENT'
  /** ClickHouse did not answer, or answered with a failure worth retrying. */
  | 'UNAVAILABLE'
  /** ClickHouse refused the statement for a reason a retry will not change. */
  | 'REJECTED'
  /** ClickHouse refused rows it could not parse or store (they go to the dead-letter table). */
  | 'MALFORMED_ROWS'
  /** An Arrow RecordBatch is not in the event schema. */
  | 'ARROW_SCHEMA'
  /** The sink or connection was closed. */
  | 'CLOSED';

/** Options of {@link ClickHouseError}. */
export interface ClickHouseErrorOptions extends FraiseQLErrorOptions {
  /** The ClickHouse exception code, when the server returned one. */
  readonly serverCode?: number | undefined;
  /** The HTTP status, when the failure came with one. */
  readonly httpStatus?: number | undefined;
}

/** An error from `@fraiseql/clickhouse`. */
export class ClickHouseError extends FraiseQLError<ClickHouseErrorCode> {
  /** The ClickHouse exception code (`Code: N`), when the server returned one. */
  readonly serverCode: number | undefined;
  /** The HTTP status, when the failure came with one. */
  readonly httpStatus: number | undefined;

  constructor(code: ClickHouseErrorCode, message: string, options: ClickHouseErrorOptions = {}) {
    super(code, message, options);
    this.name = 'ClickHouseError';
    this.serverCode = options.serverCode;
    this.httpStatus = options.httpStatus;
  }
}

/** True for a {@link ClickHouseError} from any installed copy of `@fraiseql/clickhouse`. */
export function isClickHouseError(
  value: unknown,
  code?: ClickHouseErrorCode,
): value is ClickHouseError {
  return isFraiseQLError(value, code) && (value as Error).name === 'ClickHouseError';
}
