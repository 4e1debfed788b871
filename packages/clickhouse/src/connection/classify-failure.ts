import { ClickHouseError, isClickHouseError, type ClickHouseErrorCode } from '../errors.js';

// ClickHouse exception codes (src/Common/ErrorCodes.cpp) for which the same statement may
// succeed later: overload, timeouts, network trouble, too many parts, a restarting server.
const TRANSIENT_CODES = new Set([
  3, // UNEXPECTED_END_OF_FILE: the body was cut off in transit
  159, // TIMEOUT_EXCEEDED
  164, // READONLY (a replica in read-only mode)
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  203, // NO_FREE_CONNECTION
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  236, // ABORTED
  241, // MEMORY_LIMIT_EXCEEDED
  242, // TABLE_IS_READ_ONLY
  252, // TOO_MANY_PARTS
  285, // TOO_FEW_LIVE_REPLICAS
  286, // UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE
  319, // UNKNOWN_STATUS_OF_INSERT
  373, // SESSION_IS_LOCKED
  394, // QUERY_WAS_CANCELLED
  425, // SYSTEM_ERROR
  439, // CANNOT_SCHEDULE_TASK
  999, // KEEPER_EXCEPTION
]);

// Codes for rows the server could not parse or store: the rest of the batch can still land.
const MALFORMED_CODES = new Set([
  6, // CANNOT_PARSE_TEXT
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  32, // ATTEMPT_TO_READ_AFTER_EOF
  36, // BAD_ARGUMENTS (an unknown Enum element on newer servers)
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
  131, // TOO_LARGE_STRING_SIZE
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  469, // VIOLATED_CONSTRAINT
  691, // UNKNOWN_ELEMENT_OF_ENUM
]);

const SOCKET_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** What a failed round trip looked like on the wire. */
export interface WireFailure {
  /** The error thrown by the client library (its message may hold the server's text). */
  readonly error: unknown;
  /** The HTTP status, when there was a response. */
  readonly httpStatus?: number | undefined;
  /** The ClickHouse exception code, when the client parsed or the server sent one. */
  readonly serverCode?: number | undefined;
}

/**
 * The one place wire failures become {@link ClickHouseError} codes. The ClickHouse exception
 * code decides where the server returned one (`Code: N` in the body, which old servers format
 * differently from new ones, or the `X-ClickHouse-Exception-Code` header); the HTTP status and
 * socket error codes decide otherwise. The server text is kept; it holds no credentials.
 */
export function classifyFailure(failure: WireFailure, doing: string): ClickHouseError {
  const { error } = failure;
  if (isClickHouseError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const serverCode = failure.serverCode ?? clientCodeOf(error) ?? serverCodeOf(message);
  const socketCode = socketCodeOf(error);
  let code: ClickHouseErrorCode;
  if (serverCode !== undefined) {
    code = TRANSIENT_CODES.has(serverCode)
      ? 'UNAVAILABLE'
      : MALFORMED_CODES.has(serverCode) || isOldEnumFailure(serverCode, message)
        ? 'MALFORMED_ROWS'
        : 'REJECTED';
  } else if (failure.httpStatus !== undefined) {
    const status = failure.httpStatus;
    code = status >= 500 || status === 408 || status === 429 ? 'UNAVAILABLE' : 'REJECTED';
  } else if (socketCode !== undefined || /socket hang up|timeout|aborted|closed/i.test(message)) {
    code = 'UNAVAILABLE';
  } else {
    code = 'REJECTED';
  }
  const short = message.split('\n')[0]?.trim() ?? message;
  return new ClickHouseError(code, `${doing}: ${short}`, {
    cause: error,
    serverCode,
    httpStatus: failure.httpStatus,
  });
}

/** True when a failure of this kind may succeed on a later attempt. */
export function isTransient(error: unknown): boolean {
  return isClickHouseError(error, 'UNAVAILABLE');
}

// @clickhouse/client parses new servers' errors into `{ code: '60', type: 'UNKNOWN_TABLE' }`.
function clientCodeOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^\d+$/.test(code) ? Number(code) : undefined;
}

function serverCodeOf(message: string): number | undefined {
  // New servers: "Code: 60. DB::Exception: …"; 18.x: "Code: 60, e.displayText() = …".
  const match = /\bCode:\s*(\d+)[.,]/.exec(message);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

function socketCodeOf(error: unknown): string | undefined {
  for (let current = error, depth = 0; depth < 5 && typeof current === 'object'; depth++) {
    if (current === null) return undefined;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && SOCKET_ERRORS.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

// 18.x servers report an unknown Enum element as LOGICAL_ERROR (49); later servers use 36/691.
function isOldEnumFailure(serverCode: number, message: string): boolean {
  return serverCode === 49 && /Unknown element '.*' for type Enum/.test(message);
}
