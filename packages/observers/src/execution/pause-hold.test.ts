import type { EntityEvent } from '@fraiseql/core';
import { silentLogger } from '@fraiseql/core';
import { describe, expect, it } from 'vitest';
import { isObserverError } from '../errors.js';
import { PauseHold } from './pause-hold.js';
import { SignalFanout } from './signal-fanout.js';

const event = {
  id: 'e-1',
  seq: 1n,
  eventType: 'INSERT',
  entityType: 'order',
  entityId: '1',
  data: {},
  timestamp: new Date(),
} as EntityEvent;

function pauses(maxPauseWaitMs: number) {
  return new PauseHold({
    fanout: new SignalFanout(),
    logger: silentLogger,
    maxPauseWaitMs,
    heartbeatIntervalMs: 5,
  });
}

describe('PauseHold', () => {
  it('holds until the observer runs again, keeping the delivery alive', async () => {
    const hold = pauses(60_000);
    let beats = 0;
    let resume: (state: 'running') => void = () => undefined;
    const held = hold.hold(
      'a',
      event,
      { heartbeat: () => Promise.resolve(void (beats += 1)) },
      new AbortController().signal,
      () => new Promise((resolve) => (resume = resolve)),
    );
    expect(hold.held).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    resume('running');
    expect(await held).toBe('running');
    expect(beats).toBeGreaterThan(0);
    expect(hold.held).toBe(0);
  });

  it("hands the event back after maxPauseWait, and ends with the signal's reason on shutdown", async () => {
    const hold = pauses(10);
    const forever = (_name: string, options?: { signal?: AbortSignal }) =>
      new Promise<'running'>((_resolve, reject) =>
        options?.signal?.addEventListener('abort', () => {
          reject(options.signal?.reason as Error);
        }),
      );
    const error = await hold
      .hold('a', event, {}, new AbortController().signal, forever)
      .catch((thrown: unknown) => thrown);
    expect(isObserverError(error) && error.code === 'OBSERVER_PAUSED' && error.deferred).toBe(true);
    const stop = new AbortController();
    const held = pauses(60_000).hold('a', event, {}, stop.signal, forever);
    stop.abort('closing');
    await expect(held).rejects.toBe('closing');
  });
});
