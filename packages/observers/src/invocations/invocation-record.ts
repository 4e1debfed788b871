import { isSecretField, REDACTED, redactSecrets } from '@fraiseql/core';
import { responseOf } from '../actions/action-response.js';
import type { ActionAttempt } from '../execution/action-attempt.js';
import type { InvocationOutcome, InvocationTrigger } from './invocation.js';

/**
 * An attempt as the log buffers it: only what the row needs, with the response body already cut
 * to the excerpt (so the buffer holds no full bodies). Redaction happens at write time, off the
 * hot path.
 */
export interface PendingInvocation {
  readonly eventId: string;
  readonly eventSeq: string | undefined;
  readonly eventType: string;
  readonly entityType: string;
  readonly entityId: string;
  readonly observer: string;
  readonly actionIndex: number;
  readonly actionType: string;
  readonly attempt: number;
  readonly trigger: InvocationTrigger;
  readonly actor: string | undefined;
  readonly startedAt: number;
  readonly durationMs: number;
  readonly outcome: InvocationOutcome;
  readonly summary: string | undefined;
  readonly status: number | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>> | undefined;
  readonly body: string | undefined;
  readonly error: Error | undefined;
}

/** Who asked for an attempt other than a normal delivery. */
export interface InvocationTag {
  readonly trigger: InvocationTrigger;
  readonly actor?: string | undefined;
}

/** Takes what the row needs from a finished attempt; the body is cut to `bodyLimit` characters. */
export function pendingInvocation(
  attempt: ActionAttempt,
  bodyLimit: number,
  tag: InvocationTag | undefined,
): PendingInvocation {
  const { event, error } = attempt;
  const response = attempt.result?.response ?? responseOf(error);
  return {
    eventId: event.id,
    eventSeq: String(event.seq),
    eventType: event.eventType,
    entityType: event.entityType,
    entityId: event.entityId,
    observer: attempt.observer,
    actionIndex: attempt.actionIndex,
    actionType: attempt.actionType,
    attempt: attempt.attempt,
    trigger: tag?.trigger ?? 'delivery',
    actor: tag?.actor,
    startedAt: attempt.startedAt,
    durationMs: attempt.durationMs,
    outcome: error === undefined ? 'success' : attempt.aborted === true ? 'aborted' : 'failure',
    summary: attempt.result?.summary,
    status: response?.status,
    headers: response?.headers,
    body: response === undefined ? undefined : response.body.slice(0, bodyLimit),
    error,
  };
}

// Response headers never kept in clear: cookies, credentials, signatures (a signature of the
// answer is as sensitive as one of the request), and whatever core calls a secret field.
const SENSITIVE_HEADER = /(cookie|signature|session|auth)/i;

// Endpoints send the same few header names over and over: decide once per name.
const sensitivity = new Map<string, boolean>();

function isSensitiveHeader(name: string): boolean {
  let sensitive = sensitivity.get(name);
  if (sensitive === undefined) {
    sensitive = SENSITIVE_HEADER.test(name) || isSecretField(name);
    if (sensitivity.size < 1024) sensitivity.set(name, sensitive);
  }
  return sensitive;
}

/** Header values as the log shows them: sensitive ones replaced, secrets in others masked. */
export function redactHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    const key = name.toLowerCase();
    out[key] = isSensitiveHeader(key) ? REDACTED : maskSecrets(text);
  }
  return out;
}

// `"field": "value"` pairs in a (possibly truncated) JSON body.
const JSON_STRING_FIELD = /"([^"\\]{1,64})"(\s*:\s*)"((?:[^"\\]|\\.)*)"/g;

/** Core's `redactSecrets`, skipped for text that cannot hold a URL password or a credential. */
export function maskSecrets(text: string): string {
  return text.includes('@') || text.includes('Bearer') || text.includes('Basic')
    ? redactSecrets(text)
    : text;
}

/** A response-body excerpt with secret-named JSON fields and credentials in URLs masked. */
export function redactBody(body: string): string {
  return redactSecrets(
    body.replace(JSON_STRING_FIELD, (whole, name: string, colon: string) =>
      isSecretField(name) ? `"${name}"${colon}"${REDACTED}"` : whole,
    ),
  );
}

/** The class of the error that really happened: the innermost cause's, else the error's. */
export function errorClassOf(error: Error): string {
  let current: unknown = error;
  let name = error.name;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    name = current.name;
    current = current.cause;
  }
  return name;
}
