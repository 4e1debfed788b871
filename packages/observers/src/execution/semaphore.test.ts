import { describe, expect, it } from 'vitest';
import { KeyedQueue } from './keyed-queue.js';
import { Semaphore } from './semaphore.js';

describe('Semaphore', () => {
  it('never grants more than its limit and serves waiters in order', async () => {
    const semaphore = new Semaphore(2);
    const order: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const release = await semaphore.acquire();
        order.push(i);
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight -= 1;
        release();
      }),
    );
    expect(maxInFlight).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(semaphore.inUse).toBe(0);
  });

  it('drops an aborted waiter', async () => {
    const semaphore = new Semaphore(1);
    const release = await semaphore.acquire();
    const controller = new AbortController();
    const waiting = semaphore.acquire(controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(semaphore.waiting).toBe(0);
    release();
    expect(semaphore.inUse).toBe(0);
  });

  it('turns every waiter away at once with cancelWaiting, and keeps the slots it granted', async () => {
    const semaphore = new Semaphore(1);
    const release = await semaphore.acquire();
    const waiting = [semaphore.acquire(), semaphore.acquire()];
    semaphore.cancelWaiting(new Error('closing'));
    const results = await Promise.allSettled(waiting);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect({ inUse: semaphore.inUse, waiting: semaphore.waiting }).toEqual({
      inUse: 1,
      waiting: 0,
    });
    release();
    expect(semaphore.tryTake()).toBe(true);
  });

  it('rejects a limit below 1', () => {
    expect(() => new Semaphore(0, 'observers.x.concurrency')).toThrow(/observers\.x\.concurrency/);
  });
});

describe('KeyedQueue', () => {
  it('runs one key in call order and different keys side by side', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    let releaseA1: () => void = () => undefined;
    const a1 = queue.run('a', async () => {
      log.push('a1 start');
      await new Promise<void>((resolve) => (releaseA1 = resolve));
      log.push('a1 end');
    });
    const a2 = queue.run('a', () => {
      log.push('a2');
      return Promise.resolve();
    });
    const b1 = queue.run('b', () => {
      log.push('b1');
      return Promise.resolve();
    });
    await b1;
    expect(log).toEqual(['a1 start', 'b1']);
    releaseA1();
    await Promise.all([a1, a2]);
    expect(log).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(queue.size).toBe(0);
  });

  it('keeps going after a failed task', async () => {
    const queue = new KeyedQueue();
    const failed = queue.run('k', () => Promise.reject(new Error('boom')));
    const next = queue.run('k', () => Promise.resolve('ok'));
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ok');
  });
});
