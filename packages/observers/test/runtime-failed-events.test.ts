import { waitFor } from '@fraiseql/testing';
import { describe, expect, it } from 'vitest';
import { ObserverError } from '../src/errors.js';
import { createObserverExecutor } from '../src/execution/observer-executor.js';
import { createObserverRuntime } from '../src/runtime/observer-runtime.js';
import { createMemorySource } from '../src/sources/memory/memory-source.js';
import {
  functionActions,
  makeEvent,
  matcherOf,
  recordingMetrics,
  registryOf,
} from './execution-helpers.js';

describe('event counts of actions that fail for good (memory source)', () => {
  it.each(['log', 'alert'] as const)(
    'counts an event failed, with its error type, when an action gives up under onFailure: %s',
    async (onFailure) => {
      const metrics = recordingMetrics();
      const alerts: string[] = [];
      const execute = createObserverExecutor({
        matcher: matcherOf([
          { name: 'ok', actions: [{ type: 'function', name: 'ok' }] },
          {
            name: 'rejected',
            entity: 'order',
            actions: [{ type: 'function', name: 'reject' }],
            onFailure,
          },
        ]),
        registry: registryOf(
          functionActions({
            ok: () => Promise.resolve(),
            reject: () =>
              Promise.reject(new ObserverError('ACTION_FAILED', '422', { errorType: 'http_4xx' })),
          }),
        ),
        onAlert: (alert) => {
          alerts.push(alert.observer);
        },
      });
      const source = createMemorySource();
      const runtime = createObserverRuntime({ sources: source, handler: execute, metrics });
      await runtime.start();
      try {
        source.publish([makeEvent(), makeEvent({ entityType: 'invoice' }), makeEvent()]);
        await waitFor(async () => (await source.backlog()).events === 0, {
          timeoutMs: 10_000,
          message: 'all three events settled',
        });
        // Settled done (not redelivered, not parked), but two of them count as failed.
        expect(source.parked()).toEqual([]);
        expect(metrics.failedTypes).toEqual(['http_4xx', 'http_4xx']);
        expect(metrics.counts.eventProcessed).toBe(1);
        expect(alerts).toHaveLength(onFailure === 'alert' ? 2 : 0);
      } finally {
        await runtime.close();
        await execute.close();
      }
    },
  );
});
