/** How an action attempt ended. */
export type InvocationOutcome = 'success' | 'failure' | 'aborted';

/** Why an attempt ran: a normal delivery, an operator's redelivery, or a dead-letter retry. */
export type InvocationTrigger = 'delivery' | 'redelivery' | 'dlq-retry';

/** One action attempt as the invocation log keeps it (secrets and signatures redacted). */
export interface Invocation {
  /** Position in the log (bigint as text): newer rows have larger ids. */
  readonly id: string;
  readonly eventId: string;
  readonly eventSeq: string | undefined;
  readonly eventType: string;
  readonly entityType: string;
  readonly entityId: string;
  readonly observer: string;
  readonly actionIndex: number;
  readonly actionType: string;
  /** 1 for the first attempt of a run. */
  readonly attempt: number;
  readonly trigger: InvocationTrigger;
  /** The admin token name that asked for a redelivery or retry. */
  readonly actor: string | undefined;
  /** ISO-8601. */
  readonly startedAt: string;
  readonly durationMs: number;
  readonly outcome: InvocationOutcome;
  /** The action's own summary of a success (`POST http://host/… 204`). */
  readonly summary: string | undefined;
  /** Redacted `METHOD scheme://host/…` of HTTP actions. */
  readonly target: string | undefined;
  readonly httpStatus: number | undefined;
  /** Response headers, with cookies, credentials and signatures redacted. */
  readonly responseHeaders: Readonly<Record<string, string>> | undefined;
  /** The first bytes of the response body (secrets in it masked). */
  readonly responseBody: string | undefined;
  readonly errorCode: string | undefined;
  readonly errorType: string | undefined;
  /** The error's class name (`ObserverError`, …). */
  readonly errorClass: string | undefined;
  readonly errorMessage: string | undefined;
  readonly retryable: boolean | undefined;
}

/** Which invocations {@link InvocationLog.list} returns. */
export interface InvocationFilter {
  readonly observer?: string | undefined;
  readonly eventId?: string | undefined;
  /** An outcome, or an HTTP status (`500`) or class (`5xx`). */
  readonly status?: string | undefined;
  /** Attempts started at or after this time. */
  readonly since?: Date | undefined;
  /** Only rows with a larger id (a `--follow` cursor). */
  readonly afterId?: string | undefined;
  /** Most rows returned, newest first (oldest first with `afterId`). @defaultValue `100` (at most 1000) */
  readonly limit?: number | undefined;
}
