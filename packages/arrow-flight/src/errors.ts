import { FraiseQLError, isFraiseQLError, type FraiseQLErrorOptions } from '@fraiseql/core';

/**
 * Every failure `@fraiseql/arrow-flight` reports, as a closed set. Each maps to one gRPC status
 * in `protocol/grpc-status.ts`, the one place where codes meet the wire.
 */
export type FlightErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_TICKET'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'UNIMPLEMENTED'
  | 'RESOURCE_EXHAUSTED'
  | 'CANCELLED'
  | 'DEADLINE_EXCEEDED'
  | 'UNAVAILABLE'
  | 'INTERNAL'
  | 'CLOSED';

/** An error from `@fraiseql/arrow-flight`, on the server or in the client. */
export class FlightError extends FraiseQLError<FlightErrorCode> {
  /** The gRPC status number, when the error came over the wire. */
  readonly grpcCode: number | undefined;

  constructor(
    code: FlightErrorCode,
    message: string,
    options: FraiseQLErrorOptions & { grpcCode?: number } = {},
  ) {
    super(code, message, options);
    this.name = 'FlightError';
    this.grpcCode = options.grpcCode;
  }
}

/** True for a {@link FlightError} from any installed copy of `@fraiseql/arrow-flight`. */
export function isFlightError(value: unknown, code?: FlightErrorCode): value is FlightError {
  return isFraiseQLError(value, code) && (value as Error).name === 'FlightError';
}
