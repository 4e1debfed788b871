/** What went wrong in the test kit. */
export type TestingErrorCode =
  | 'SERVICE_UNAVAILABLE'
  | 'SERVICE_START_FAILED'
  | 'TIMEOUT'
  | 'PROCESS_EXITED'
  | 'INVALID_ARGUMENT';

/** The one error class the test kit throws; `code` says which failure it is. */
export class TestingError extends Error {
  override readonly name = 'TestingError';
  readonly code: TestingErrorCode;

  constructor(code: TestingErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Whether `value` is a {@link TestingError}, also across duplicate installs of this package. */
export function isTestingError(value: unknown): value is TestingError {
  return (
    value instanceof TestingError ||
    (value instanceof Error &&
      value.name === 'TestingError' &&
      typeof (value as { code?: unknown }).code === 'string')
  );
}
