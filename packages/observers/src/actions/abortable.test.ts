import { getEventListeners } from 'node:events';
import { silentLogger } from '@fraiseql/core';
import { afterEach, describe, expect, it } from 'vitest';
import { abortable } from './abortable.js';
import { createFunctionAction } from './function-action.js';

const warnings: Error[] = [];
const onWarning = (warning: Error): void => {
  warnings.push(warning);
};

afterEach(() => {
  process.off('warning', onWarning);
  warnings.length = 0;
});

describe('abortable', () => {
  it('runs 1,000 concurrent function actions under one shared signal without piling up listeners', async () => {
    process.on('warning', onWarning);
    const shared = new AbortController().signal;
    const baseline = getEventListeners(shared, 'abort').length;
    const gates: (() => void)[] = [];
    const action = createFunctionAction(
      () => () =>
        new Promise<string>((resolve) => {
          gates.push(() => {
            resolve('ok');
          });
        }),
    );
    const event = {
      id: '00000000-0000-4000-8000-000000000001',
      seq: 1n,
      eventType: 'INSERT' as const,
      entityType: 'order',
      entityId: '1',
      data: {},
      timestamp: new Date(),
    };
    const runs = Array.from({ length: 1_000 }, (_, index) =>
      action.execute(
        { type: 'function', name: 'slow' },
        {
          event,
          observer: 'o',
          actionIndex: index,
          attempt: 1,
          signal: shared,
          logger: silentLogger,
        },
      ),
    );
    // Every call is waiting on the shared signal now.
    await new Promise((resolve) => setImmediate(resolve));
    expect(gates).toHaveLength(1_000);
    expect(getEventListeners(shared, 'abort').length).toBeLessThanOrEqual(baseline + 1);
    for (const open of gates) open();
    const results = await Promise.all(runs);
    expect(results.every((result) => result.summary === 'ok')).toBe(true);
    expect(getEventListeners(shared, 'abort')).toHaveLength(baseline);
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  });

  it('rejects every waiter with the reason when the shared signal aborts, then leaves no listener', async () => {
    const controller = new AbortController();
    const never = new Promise<never>(() => undefined);
    const waits = Array.from({ length: 50 }, () => abortable(never, controller.signal));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    const reason = new Error('stop');
    controller.abort(reason);
    const settled = await Promise.allSettled(waits);
    expect(settled.every((s) => s.status === 'rejected' && s.reason === reason)).toBe(true);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await expect(abortable(Promise.resolve(1), controller.signal)).rejects.toBe(reason);
  });

  it('settles with the promise and lets later calls register again', async () => {
    const controller = new AbortController();
    await expect(abortable(Promise.resolve('a'), controller.signal)).resolves.toBe('a');
    await expect(abortable(Promise.reject(new Error('x')), controller.signal)).rejects.toThrow('x');
    const late = abortable(new Promise<never>(() => undefined), controller.signal);
    controller.abort('late');
    await expect(late).rejects.toBe('late');
  });
});
