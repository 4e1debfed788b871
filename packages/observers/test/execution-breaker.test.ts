import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isObserverError } from '../src/errors.js';
import type { BreakerState } from '../src/metrics/observer-metrics.js';
import { createObserverExecutor } from '../src/execution/observer-executor.js';
import {
  httpPostAction,
  makeEvent,
  matcherOf,
  recordingMetrics,
  registryOf,
  startReceiver,
  type Receiver,
} from './execution-helpers.js';

describe('observer executor: circuit breaker per endpoint (local HTTP receiver)', () => {
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });
  beforeEach(() => {
    receiver.requests.length = 0;
  });

  it('opens after failures, lets nothing through while open, half-opens and recovers without spending attempts', async () => {
    // One ordered log of calls started and breaker transitions: both happen synchronously in
    // the executor, so their order here is the order in which they really happened.
    const log: string[] = [];
    const base = recordingMetrics();
    const metrics = {
      ...base,
      breakerState: (endpoint: string, state: BreakerState) => {
        log.push(state);
        base.breakerState(endpoint, state);
      },
    };
    // The four first attempts report together, so no retry can start before the breaker
    // has seen all four failures.
    const firstCalls: Promise<unknown>[] = [];
    let releaseFirst: () => void = () => undefined;
    const allFirstSettled = new Promise<void>((resolve) => (releaseFirst = resolve));
    const counted: typeof httpPostAction = {
      ...httpPostAction,
      execute: async (config, context) => {
        log.push('call');
        const call = httpPostAction.execute(config, context);
        if (firstCalls.length < 4) {
          call.catch(() => undefined); // observed below, after all four settled
          firstCalls.push(call);
          if (firstCalls.length === 4) void Promise.allSettled(firstCalls).then(releaseFirst);
          await allFirstSettled;
        }
        return call;
      },
    };
    let healthy = false;
    receiver.respond = () => ({ status: healthy ? 204 : 500 });
    const execute = createObserverExecutor({
      matcher: matcherOf([
        {
          name: 'o',
          actions: [{ type: 'http-post', url: receiver.url }],
          // Two attempts only: the deferrals while the breaker is open must not count.
          retry: { maxAttempts: 2, initialDelay: 1, maxDelay: 1 },
          onFailure: 'log',
        },
      ]),
      registry: registryOf(counted),
      metrics,
      breaker: { minimumCalls: 4, failureRate: 0.5, coolDown: 300, halfOpenProbes: 1 },
    });
    const events = Array.from({ length: 4 }, (_, i) => makeEvent({ entityId: String(i) }));
    const runs = events.map((event) => execute(event));
    // Four failed first attempts open the breaker; the endpoint then recovers.
    await waitForState(base, 'open');
    healthy = true;
    await Promise.all(runs);

    expect(base.breaker.map((b) => b.state)).toEqual(['open', 'half-open', 'closed']);
    expect(base.breaker.every((b) => b.endpoint === new URL(receiver.url).host)).toBe(true);
    // No call started while open; exactly one probe while half-open, then the rest.
    const openAt = log.indexOf('open');
    const halfOpenAt = log.indexOf('half-open');
    const closedAt = log.indexOf('closed');
    expect(log.slice(openAt + 1, halfOpenAt)).toEqual([]);
    expect(log.slice(halfOpenAt + 1, closedAt)).toEqual(['call']);
    expect(base.breaker[1]!.at - base.breaker[0]!.at).toBeGreaterThanOrEqual(290);
    // Every event succeeded on its second attempt, after waiting out the open breaker.
    expect(receiver.requests).toHaveLength(8);
    expect(log.filter((entry) => entry === 'call')).toHaveLength(8);
    expect(base.counts.actionExecuted).toBe(4);
    expect(base.counts.actionFailed).toBe(4);
    expect(execute.stats().breakers).toEqual({ [new URL(receiver.url).host]: 'closed' });
  });

  it('hands the event back for redelivery when the breaker stays open longer than maxBreakerWait', async () => {
    const metrics = recordingMetrics();
    receiver.respond = () => ({ status: 503 });
    const execute = createObserverExecutor({
      matcher: matcherOf([
        {
          name: 'o',
          actions: [{ type: 'http-post', url: receiver.url }],
          retry: { maxAttempts: 5, initialDelay: 1, maxDelay: 1 },
        },
      ]),
      registry: registryOf(httpPostAction),
      metrics,
      breaker: { minimumCalls: 2, failureRate: 1, coolDown: '1m' },
      maxBreakerWait: 50,
    });
    const failure = await execute(makeEvent()).catch((error: unknown) => error);
    expect(isObserverError(failure, 'CIRCUIT_OPEN')).toBe(true);
    expect(failure).toMatchObject({ retryable: true, errorType: 'circuit_open' });
    expect(receiver.requests).toHaveLength(2); // the two calls that opened it
    // A later delivery while still open goes back at once, without touching the endpoint.
    await expect(execute(makeEvent())).rejects.toMatchObject({ code: 'CIRCUIT_OPEN' });
    expect(receiver.requests).toHaveLength(2);
  });
});

async function waitForState(
  metrics: ReturnType<typeof recordingMetrics>,
  state: string,
): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = metrics.breaker.find((b) => b.state === state);
    if (found !== undefined) return found.at;
    if (Date.now() > deadline) throw new Error(`breaker never reached ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
