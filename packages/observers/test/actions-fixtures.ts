import { randomUUID } from 'node:crypto';
import type { EntityEvent, LogFields, Logger } from '@fraiseql/core';
import type { ActionContext } from '../src/actions/action-executor.js';

/** An order UPDATE event with nested data and changes. */
export function orderEvent(overrides: Partial<EntityEvent> = {}): EntityEvent {
  return {
    id: randomUUID(),
    seq: 42n,
    eventType: 'UPDATE',
    entityType: 'Order',
    entityId: 'ord_1',
    data: {
      id: 'ord_1',
      status: 'shipped',
      total: 99.5,
      customer: { email: 'ann@example.com', tier: 'gold' },
    },
    changes: { status: { old: 'paid', new: 'shipped' } },
    timestamp: new Date('2026-01-02T03:04:05.000Z'),
    ...overrides,
  };
}

/** One recorded log line. */
export interface LogLine {
  readonly level: string;
  readonly fields: LogFields;
  readonly message: string;
}

/** A logger that keeps every line, to assert what is (and is not) logged. */
export function recordingLogger(): Logger & { readonly lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (fields: LogFields, message: string): void => {
      lines.push({ level, fields, message });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** The context of one action attempt. */
export function actionContext(
  event: EntityEvent,
  overrides: Partial<ActionContext> = {},
): ActionContext {
  return {
    event,
    observer: 'order-shipped',
    actionIndex: 0,
    attempt: 1,
    signal: new AbortController().signal,
    logger: recordingLogger(),
    ...overrides,
  };
}
