/** What an HTTP endpoint answered to one action attempt, for the invocation log. */
export interface ActionResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body as read (already capped by the HTTP pool). */
  readonly body: string;
}

// Kept off the error's enumerable properties: loggers serialise those, and a response's headers
// and body do not belong in logs.
const RESPONSE = Symbol.for('@fraiseql/observers.action-response');

/** Attaches the endpoint's answer to the error an HTTP attempt throws; returns the error. */
export function attachResponse<E extends Error>(error: E, response: ActionResponse): E {
  Object.defineProperty(error, RESPONSE, { value: response, enumerable: false });
  return error;
}

/** The endpoint's answer attached to an attempt's error, if any. */
export function responseOf(error: unknown): ActionResponse | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  return (error as Record<symbol, ActionResponse | undefined>)[RESPONSE];
}
