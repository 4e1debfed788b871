import type { EntityEvent, Logger } from '@fraiseql/core';
import type { ActionResponse } from './action-response.js';

/** What an action executor is given for one attempt. */
export interface ActionContext {
  readonly event: EntityEvent;
  /** Name of the observer that matched. */
  readonly observer: string;
  /** Position of the action in the observer's `actions` list. */
  readonly actionIndex: number;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Aborted on per-action timeout or shutdown; executors must pass it to I/O. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/** What a successful action reports (for logs, DLQ history and the debug command). */
export interface ActionResult {
  /** Short human summary: `POST example.com 204`, `3 keys deleted`. */
  readonly summary: string;
  readonly details?: Readonly<Record<string, unknown>>;
  /** What an HTTP endpoint answered (status, headers, body), for the invocation log. */
  readonly response?: ActionResponse | undefined;
}

/** What {@link ActionExecutor.endpoint} is told besides the action config. */
export interface EndpointContext {
  /** The observer the action belongs to. */
  readonly observer: string;
}

/**
 * Runs one kind of action. `execute` resolves only when the side effect is confirmed and
 * throws an `ObserverError` otherwise (with `retryable` set for transient failures).
 */
export interface ActionExecutor<
  Config extends { readonly type: string } = { readonly type: string },
> {
  readonly type: Config['type'];
  execute(config: Config, context: ActionContext): Promise<ActionResult>;
  /**
   * Key of the endpoint for the circuit breaker (a host or SMTP server), if any. `context`
   * names the observer whose action it is (the executor always passes it).
   */
  endpoint?(config: Config, context?: EndpointContext): string | undefined;
  close?(): Promise<void>;
}
