import { randomUUID } from 'node:crypto';
import type { EntityEvent } from '@fraiseql/core';
import type { AnyActionConfig, RetryPolicyConfig } from '@fraiseql/observers';
import type { JobObserver, JobObserverLookup, JobQueueMetrics } from '../src/index.js';

/** An event with a fresh id. */
export function testEvent(entityId = '1'): EntityEvent {
  return {
    id: randomUUID(),
    seq: 1n,
    eventType: 'INSERT',
    entityType: 'Order',
    entityId,
    data: { id: entityId, total: 10 },
    timestamp: new Date(),
  };
}

/** A mutable observer lookup for tests. */
export function observerSet(
  observers: Record<
    string,
    { actions: AnyActionConfig[]; retry?: RetryPolicyConfig; async?: boolean }
  >,
): JobObserverLookup {
  return {
    get(name): JobObserver | undefined {
      const observer = observers[name];
      return observer === undefined ? undefined : { ...observer, name };
    },
  };
}

/** Metrics that record every call, to prove each one moves. */
export function recordingMetrics(): JobQueueMetrics & { calls: Map<string, unknown[][]> } {
  const calls = new Map<string, unknown[][]>();
  const record =
    (name: string) =>
    (...args: unknown[]): void => {
      calls.set(name, [...(calls.get(name) ?? []), args]);
    };
  return {
    calls,
    jobQueued: record('jobQueued'),
    jobExecuted: record('jobExecuted'),
    jobFailed: record('jobFailed'),
    jobRetried: record('jobRetried'),
    queueDepth: record('queueDepth'),
    dlqItems: record('dlqItems'),
  };
}
