import { status, type ServiceError } from '@grpc/grpc-js';
import { FlightError, isFlightError, type FlightErrorCode } from '../errors.js';

const TO_GRPC: Readonly<Record<FlightErrorCode, status>> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  INVALID_TICKET: status.INVALID_ARGUMENT,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  NOT_FOUND: status.NOT_FOUND,
  UNIMPLEMENTED: status.UNIMPLEMENTED,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  CANCELLED: status.CANCELLED,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  UNAVAILABLE: status.UNAVAILABLE,
  INTERNAL: status.INTERNAL,
  CLOSED: status.UNAVAILABLE,
};

const FROM_GRPC: Readonly<Partial<Record<status, FlightErrorCode>>> = {
  [status.INVALID_ARGUMENT]: 'INVALID_ARGUMENT',
  [status.UNAUTHENTICATED]: 'UNAUTHENTICATED',
  [status.PERMISSION_DENIED]: 'PERMISSION_DENIED',
  [status.NOT_FOUND]: 'NOT_FOUND',
  [status.UNIMPLEMENTED]: 'UNIMPLEMENTED',
  [status.RESOURCE_EXHAUSTED]: 'RESOURCE_EXHAUSTED',
  [status.CANCELLED]: 'CANCELLED',
  [status.DEADLINE_EXCEEDED]: 'DEADLINE_EXCEEDED',
  [status.UNAVAILABLE]: 'UNAVAILABLE',
};

/** The gRPC status a {@link FlightErrorCode} is sent as. */
export function grpcStatusOf(code: FlightErrorCode): status {
  return TO_GRPC[code];
}

/** The gRPC status name (`INVALID_ARGUMENT`) of a status number, for metrics labels. */
export function grpcStatusName(code: number): string {
  return (status as unknown as Record<number, string | undefined>)[code] ?? 'UNKNOWN';
}

/**
 * Turns any server-side failure into the error object grpc-js sends. A {@link FlightError}
 * keeps its message; anything else is an internal error whose message is not sent (it may
 * hold SQL or connection details): the caller logs it.
 */
export function toServiceError(error: unknown): Partial<ServiceError> & { code: status } {
  if (isFlightError(error)) {
    return { code: grpcStatusOf(error.code), details: error.message, message: error.message };
  }
  return { code: status.INTERNAL, details: 'internal error', message: 'internal error' };
}

/** Turns a gRPC failure seen by a client into a {@link FlightError} that keeps the status. */
export function fromServiceError(error: unknown, doing: string): FlightError {
  if (isFlightError(error)) return error;
  const grpc = error as Partial<ServiceError> | undefined;
  const grpcCode = typeof grpc?.code === 'number' ? grpc.code : status.UNKNOWN;
  const code = FROM_GRPC[grpcCode] ?? 'INTERNAL';
  const details = typeof grpc?.details === 'string' && grpc.details !== '' ? grpc.details : '';
  const message = details !== '' ? details : error instanceof Error ? error.message : 'failed';
  return new FlightError(code, `${doing}: ${message}`, { cause: error, grpcCode });
}
