import { ServiceHealthTracker, type EntityEvent, type ServiceHealth } from '@fraiseql/core';
import { describe, expect, it } from 'vitest';
import { ObserverError } from '../errors.js';
import { noopObserverMetrics, type ObserverMetrics } from '../metrics/observer-metrics.js';
import { createMemorySource } from '../sources/memory/memory-source.js';
import { createObserverRuntime } from './observer-runtime.js';

function event(n: number): EntityEvent {
  return {
    id: `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`,
    seq: BigInt(n),
    eventType: 'INSERT',
    entityType: 'order',
    entityId: String(n),
    data: { n },
    timestamp: new Date(),
  };
}

function counting(): ObserverMetrics & { counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const metrics = Object.fromEntries(
    Object.keys(noopObserverMetrics).map((name) => [
      name,
      () => counts.set(name, (counts.get(name) ?? 0) + 1),
    ]),
  ) as unknown as ObserverMetrics;
  return Object.assign(metrics, { counts });
}

/** A promise with its resolver, to hold handlers until the test lets them go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

async function until(predicate: () => boolean, message: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('createObserverRuntime', () => {
  it('runs the handler for every event, never more than `concurrency` at once', async () => {
    const source = createMemorySource();
    const metrics = counting();
    const hold = gate();
    let running = 0;
    let peak = 0;
    const handled: number[] = [];
    const runtime = createObserverRuntime({
      sources: source,
      concurrency: 3,
      metrics,
      handler: async (e) => {
        running += 1;
        peak = Math.max(peak, running);
        await hold.promise;
        handled.push(Number(e.seq));
        running -= 1;
      },
    });
    await runtime.start();
    source.publish(Array.from({ length: 20 }, (_, i) => event(i + 1)));
    await until(() => running === 3, 'three handlers running');
    const health = await runtime.health();
    expect(health).toMatchObject({ state: 'running', healthy: true, inFlight: 3, lagEvents: 20 });
    hold.open();
    await until(() => handled.length === 20, 'all handled');
    expect(peak).toBe(3);
    expect(handled.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await until(() => metrics.counts.get('eventProcessed') === 20, 'processed metric');
    expect((await runtime.health()).lagEvents).toBe(0);
    await runtime.close();
    expect((await runtime.health()).state).toBe('closed');
  });

  it('redelivers hand-backs after retryAfterMs without spending the attempts real failures get', async () => {
    const source = createMemorySource();
    const metrics = counting();
    const attempts: number[] = [];
    const runtime = createObserverRuntime({
      sources: source,
      metrics,
      retry: { maxAttempts: 2, initialDelay: 5, maxDelay: 10 },
      handler: (_e, context) => {
        attempts.push(context.attempt);
        // Five hand-backs (more than maxAttempts), then two real failures.
        return Promise.reject(
          context.attempt <= 5
            ? new ObserverError('CIRCUIT_OPEN', 'breaker open', {
                retryable: true,
                deferred: true,
                retryAfterMs: 1,
              })
            : new Error('downstream is down'),
        );
      },
    });
    await runtime.start();
    source.publish(event(1));
    await until(() => source.parked().length === 1, 'event 1 parked');
    expect(attempts).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // Only the real failures count as failed deliveries.
    expect(metrics.counts.get('eventFailed')).toBe(2);
    await runtime.close();
  });

  it('retries a failing handler with backoff, then settles it dead', async () => {
    const source = createMemorySource();
    const metrics = counting();
    const attempts: number[] = [];
    const runtime = createObserverRuntime({
      sources: source,
      metrics,
      retry: { maxAttempts: 3, initialDelay: 5, maxDelay: 20 },
      handler: (e, context) => {
        if (e.seq === 2n) {
          attempts.push(context.attempt);
          return Promise.reject(new Error('downstream is down'));
        }
        return Promise.resolve();
      },
    });
    await runtime.start();
    source.publish([event(1), event(2), event(3)]);
    await until(() => source.parked().length === 1, 'event 2 parked');
    expect(attempts).toEqual([1, 2, 3]);
    expect(source.parked()[0]).toMatchObject({ attempts: 3, event: { seq: 2n } });
    expect(metrics.counts.get('eventFailed')).toBe(3);
    await until(() => metrics.counts.get('eventProcessed') === 2, 'two processed');
    const health = await runtime.health();
    expect(health.lastError?.message).toBe('downstream is down');
    await runtime.close();
  });

  it('close() waits for running handlers and then closes the source', async () => {
    const source = createMemorySource();
    const hold = gate();
    let started = 0;
    const finished: number[] = [];
    const runtime = createObserverRuntime({
      sources: source,
      handler: async (e) => {
        started += 1;
        await hold.promise;
        finished.push(Number(e.seq));
      },
    });
    await runtime.start();
    source.publish([event(1), event(2)]);
    await until(() => started === 2, 'two running');
    let closed = false;
    const closing = runtime.close().then(() => (closed = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);
    expect((await runtime.health()).state).toBe('draining');
    hold.open();
    await closing;
    expect(finished).toEqual([1, 2]);
    expect(() => {
      source.publish(event(3));
    }).toThrow(/closed/);
  });

  it('aborts handlers that outlive the drain timeout and hands their events back', async () => {
    const source = createMemorySource();
    const metrics = counting();
    let aborted = false;
    let started = false;
    const runtime = createObserverRuntime({
      sources: source,
      metrics,
      drainTimeout: 20,
      handler: (_e, { signal }) =>
        new Promise<void>((_resolve, reject) => {
          started = true;
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(signal.reason as Error);
          });
        }),
    });
    await runtime.start();
    source.publish(event(1));
    await until(() => started, 'handler running');
    await runtime.close();
    expect(aborted).toBe(true);
    // Shutdown is not the event's fault: no failure counted, nothing parked.
    expect(metrics.counts.get('eventFailed')).toBeUndefined();
    expect(source.parked()).toEqual([]);
  });

  it('closes when its signal aborts', async () => {
    const source = createMemorySource();
    const controller = new AbortController();
    const runtime = createObserverRuntime({
      sources: source,
      signal: controller.signal,
      handler: () => Promise.resolve(),
    });
    await runtime.start();
    controller.abort();
    await until(() => {
      try {
        source.publish(event(1));
        return false;
      } catch {
        return true;
      }
    }, 'source closed');
    expect((await runtime.health()).state).toBe('closed');
  });

  it('rejects bad options with their path', () => {
    expect(() =>
      createObserverRuntime({
        sources: createMemorySource(),
        handler: () => Promise.resolve(),
        concurrency: 0,
      }),
    ).toThrow(/createObserverRuntime\.options\.concurrency/);
  });

  it('lists the services of sources and reporters in health() and reports them to metrics', async () => {
    const source = createMemorySource();
    const database = new ServiceHealthTracker({
      name: 'postgres',
      kind: 'postgres',
      initial: 'up',
    });
    const smtp = new ServiceHealthTracker({ name: 'smtp:mail:25', kind: 'smtp', initial: 'up' });
    const sourceDb = new ServiceHealthTracker({ name: 'postgres', kind: 'postgres' });
    const reported: ServiceHealth[] = [];
    const runtime = createObserverRuntime({
      sources: Object.assign(source, { services: () => database.services() }),
      // The same name from a second reporter is listed once: the source's entry wins.
      services: [smtp, sourceDb],
      handler: () => Promise.resolve(),
      statsInterval: 10,
      metrics: { ...noopObserverMetrics, serviceState: (health) => reported.push(health) },
    });
    await runtime.start();
    let health = await runtime.health();
    expect(health.healthy).toBe(true);
    expect(health.services.map((s) => [s.name, s.state])).toEqual([
      ['postgres', 'up'],
      ['smtp:mail:25', 'up'],
    ]);
    smtp.reconnecting(new Error('ECONNREFUSED 127.0.0.1:25'));
    health = await runtime.health();
    expect(health.healthy).toBe(false);
    expect(health.services[1]).toMatchObject({
      state: 'reconnecting',
      outages: 1,
      lastError: { message: 'ECONNREFUSED 127.0.0.1:25' },
    });
    await until(
      () => reported.some((h) => h.name === 'smtp:mail:25' && h.state === 'reconnecting'),
      'the outage reported to metrics',
    );
    smtp.up();
    expect((await runtime.health()).healthy).toBe(true);
    await runtime.close();
  });
});
