import type { BreakerState } from '@fraiseql/observers';
import { requireService, waitFor } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drained, recordingMetrics, startWebhookStack, type WebhookStack } from './e2e-fixture.js';

const pg = await requireService('postgres');

describe.skipIf(pg === undefined)('end to end: circuit breaker on a failing endpoint', () => {
  let e2e: WebhookStack;
  let requestsWhenOpened: number | undefined;
  const states: BreakerState[] = [];

  beforeAll(async () => {
    e2e = await startWebhookStack(pg!, (receiver) => {
      const metrics = recordingMetrics((_endpoint, state) => {
        states.push(state);
        // The endpoint recovers the moment the breaker opens, so the first probe after the
        // cool-down is the first request to meet a healthy endpoint.
        if (state === 'open' && requestsWhenOpened === undefined) {
          requestsWhenOpened = receiver.requests.length;
          receiver.status = 200;
        }
      });
      return {
        executor: {
          metrics,
          breaker: { minimumCalls: 3, failureRate: 0.5, coolDown: '300ms', windowTime: '1m' },
        },
        yaml: `
observers:
  order_hook:
    entity: Order
    events: [INSERT]
    actions:
      - type: webhook
        url: ${receiver.url}/orders
        allowHosts: [127.0.0.1]
    retry: { strategy: fixed, maxAttempts: 10, initialDelay: 5ms }
    onFailure: dlq
`,
      };
    });
  });
  afterAll(async () => {
    await e2e.close();
  });

  it('opens after repeated failures, holds attempts back, then a probe closes it', async () => {
    e2e.receiver.status = 500;
    await e2e.db.query("INSERT INTO tb_order (id) VALUES ('b-1')");
    await waitFor(() => states.includes('closed'), {
      timeoutMs: 15_000,
      message: 'breaker closed again',
    });
    await drained(e2e.stack.runtime);

    expect(states).toEqual(['open', 'half-open', 'closed']);
    // Three failures opened it; while open nothing was sent; the single probe succeeded. Without
    // the breaker the fixed 5 ms retries would have used more of the ten attempts.
    expect(requestsWhenOpened).toBe(3);
    expect(e2e.receiver.requests).toHaveLength(4);
    expect(await e2e.stack.dlq.count()).toBe(0);
    expect(Object.values(e2e.stack.executor.stats().breakers)).toEqual(['closed']);

    // Closed again, the next event goes straight through.
    await e2e.db.query("INSERT INTO tb_order (id) VALUES ('b-2')");
    await waitFor(() => e2e.receiver.requests.length === 5, { timeoutMs: 15_000 });
    await drained(e2e.stack.runtime);
    expect(JSON.parse(e2e.receiver.requests.at(-1)!.body)).toMatchObject({ entityId: 'b-2' });
    expect(states).toEqual(['open', 'half-open', 'closed']);
  });
});
