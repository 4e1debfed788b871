import type { DurationInput } from '@fraiseql/core';
import type { Dispatcher } from 'undici';
import { ObserverError } from '../errors.js';
import type { HttpPool, HttpResponse } from '../net/http-pool.js';
import { redactTarget } from '../net/redact-target.js';
import type { ActionContext } from './action-executor.js';
import { attachResponse } from './action-response.js';
import { attemptSignal, timeoutMs } from './attempt-signal.js';
import { classifyError, httpStatusError } from './classify-error.js';

/** One HTTP call of an HTTP-based action. */
export interface SendHttpInput {
  readonly action: string;
  readonly url: string;
  readonly method: Dispatcher.HttpMethod;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** The action's own timeout (the context signal applies as well). @defaultValue `10s` */
  readonly timeout: DurationInput | undefined;
  readonly allowHosts?: readonly string[] | undefined;
  /** Turns a non-2xx response body into a short detail for the error message. */
  readonly describeFailure?: (response: HttpResponse) => string | undefined;
}

/** A delivered HTTP call. */
export interface SendHttpResult {
  readonly response: HttpResponse;
  /** Redacted `METHOD scheme://host/…` for summaries and logs. */
  readonly target: string;
  readonly durationMs: number;
}

/**
 * Sends one request through the pool and resolves only on 2xx; every failure is classified
 * (`retryable`, `errorType`, `retryAfterMs`). URL paths, query strings, headers and bodies stay
 * out of logs and error messages.
 *
 * @throws {ObserverError} for non-2xx, network, timeout and SSRF failures.
 */
export async function sendHttp(
  pool: HttpPool,
  input: SendHttpInput,
  context: ActionContext,
): Promise<SendHttpResult> {
  let url: URL;
  try {
    url = new URL(input.url);
  } catch (cause) {
    throw new ObserverError('CONFIG_INVALID', `${input.action}: the URL is not valid`, {
      cause,
      retryable: false,
      errorType: 'config',
    });
  }
  const target = redactTarget(url, input.method);
  let headers = input.headers;
  if (url.username !== '' || url.password !== '') {
    // Credentials in the URL become Basic auth (the request line never carries them).
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'authorization')) {
      headers = {
        ...headers,
        authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
      };
    }
    url.username = '';
    url.password = '';
  }
  using attempt = attemptSignal(context.signal, timeoutMs(input.timeout, 10_000));
  const signal = attempt.signal;
  const started = performance.now();
  const logFields = {
    action: input.action,
    observer: context.observer,
    actionIndex: context.actionIndex,
    attempt: context.attempt,
    eventId: context.event.id,
    target,
  };
  let response: HttpResponse;
  try {
    response = await pool.request({
      url,
      method: input.method,
      headers,
      ...(input.body === undefined ? {} : { body: input.body }),
      signal,
      allowHosts: input.allowHosts,
    });
  } catch (error) {
    const failure = classifyError(error, { target, signal });
    context.logger.warn(
      { ...logFields, errorType: failure.errorType, retryable: failure.retryable },
      `${input.action} failed: ${failure.message}`,
    );
    throw failure;
  }
  const durationMs = performance.now() - started;
  const failure = httpStatusError(
    response.status,
    response.headers,
    target,
    input.describeFailure?.(response),
  );
  if (failure !== undefined) {
    context.logger.warn(
      { ...logFields, status: response.status, errorType: failure.errorType, durationMs },
      `${input.action} failed: ${failure.message}`,
    );
    throw attachResponse(failure, response);
  }
  context.logger.debug(
    { ...logFields, status: response.status, durationMs },
    `${input.action} delivered`,
  );
  return { response, target, durationMs };
}
