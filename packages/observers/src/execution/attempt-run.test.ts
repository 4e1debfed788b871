import type { EntityEvent } from '@fraiseql/core';
import { silentLogger } from '@fraiseql/core';
import { describe, expect, it } from 'vitest';
import type { ActionExecutor } from '../actions/action-executor.js';
import { isObserverError } from '../errors.js';
import { AttemptRun } from './attempt-run.js';
import { DeadlineQueue } from './deadline-queue.js';
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
const fields = { event, observer: 'a', actionIndex: 0, attempt: 1, logger: silentLogger };

function executor(execute: ActionExecutor['execute']): ActionExecutor {
  return { type: 'function', execute };
}

describe('AttemptRun (one attempt: timeout, abort, lazy signal)', () => {
  it('makes no signal unless the executor reads it, and leaves nothing pending', async () => {
    const clock = { deadlines: new DeadlineQueue(), fanout: new SignalFanout() };
    const attempt = new AttemptRun(fields, 'function', 1000);
    const result = await attempt.run(
      executor(() => Promise.resolve({ summary: 'ok' })),
      { type: 'function' },
      new AbortController().signal,
      clock,
    );
    expect(result.summary).toBe('ok');
    expect(clock.deadlines.size).toBe(0);
    // A spread context keeps a working signal (an own getter).
    const spread = { ...attempt.context };
    expect(spread.signal.aborted).toBe(false);
  });

  it('times out an executor that ignores its signal, and aborts the signal it read', async () => {
    const clock = { deadlines: new DeadlineQueue(), fanout: new SignalFanout() };
    let seen: AbortSignal | undefined;
    const hangs = executor((_config, context) => {
      seen = context.signal;
      return new Promise(() => undefined);
    });
    const error = await new AttemptRun(fields, 'webhook', 20)
      .run(hangs, { type: 'webhook' }, new AbortController().signal, clock)
      .catch((thrown: unknown) => thrown);
    expect(isObserverError(error) && error.code === 'ACTION_TIMEOUT').toBe(true);
    expect(seen?.aborted).toBe(true);
    expect(clock.deadlines.size).toBe(0);
  });

  it('reports the timeout, not the error the executor made of its aborted signal', async () => {
    const clock = { deadlines: new DeadlineQueue(), fanout: new SignalFanout() };
    const reacts = executor(
      (_config, context) =>
        new Promise((_resolve, reject) => {
          context.signal.addEventListener('abort', () => {
            reject(new Error('socket aborted'));
          });
        }),
    );
    const error = await new AttemptRun(fields, 'webhook', 10)
      .run(reacts, { type: 'webhook' }, new AbortController().signal, clock)
      .catch((thrown: unknown) => thrown);
    expect(isObserverError(error) && error.code).toBe('ACTION_TIMEOUT');
  });

  it("ends with the handler signal's reason when it aborts, before or during the attempt", async () => {
    const clock = { deadlines: new DeadlineQueue(), fanout: new SignalFanout() };
    const outer = new AbortController();
    const hangs = executor(() => new Promise(() => undefined));
    const running = new AttemptRun(fields, 'function', 60_000).run(
      hangs,
      { type: 'function' },
      outer.signal,
      clock,
    );
    outer.abort('lease lost');
    await expect(running).rejects.toBe('lease lost');
    await expect(
      new AttemptRun(fields, 'function', 60_000).run(
        hangs,
        { type: 'function' },
        outer.signal,
        clock,
      ),
    ).rejects.toBe('lease lost');
    expect(clock.deadlines.size).toBe(0);
  });
});
