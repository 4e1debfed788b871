import { isObserverError } from '@fraiseql/observers';
import { requireService, waitFor } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drained, lastEventId, startWebhookStack, type WebhookStack } from './e2e-fixture.js';

const pg = await requireService('postgres');

describe.skipIf(pg === undefined)('end to end: retries, dead letter and DLQ retry', () => {
  let e2e: WebhookStack;

  beforeAll(async () => {
    e2e = await startWebhookStack(pg!, (receiver) => ({
      executor: { breaker: false },
      yaml: `
observers:
  order_hook:
    entity: Order
    events: [INSERT]
    actions:
      - type: webhook
        url: ${receiver.url}/orders
        allowHosts: [127.0.0.1]
        body: { order: '{{ entityId }}' }
        signing: { secrets: ['whsec_${Buffer.from('dead letter e2e secret').toString('base64')}'] }
    retry: { strategy: exponential, maxAttempts: 4, initialDelay: 10ms, maxDelay: 40ms }
    onFailure: dlq
`,
    }));
  });
  afterAll(async () => {
    await e2e.close();
  });

  it('retries a 5xx endpoint, dead-letters the action, and delivers it by dlq.retry after recovery', async () => {
    e2e.receiver.status = 503;
    await e2e.db.query("INSERT INTO tb_order (id) VALUES ('d-1')");
    const eventId = await lastEventId(e2e.db, 'd-1');

    const [item] = await waitFor(
      async () => {
        const items = await e2e.stack.dlq.list({ observer: 'order_hook' });
        return items.length > 0 && items;
      },
      { timeoutMs: 15_000, message: 'dead letter written' },
    );
    // The event itself is settled: failures go through the failure policy, not redelivery.
    await drained(e2e.stack.runtime);
    expect(e2e.receiver.requests).toHaveLength(4);
    // Every attempt carries the same webhook-id, so the receiver could deduplicate.
    expect(new Set(e2e.receiver.requests.map((r) => r.headers['webhook-id']))).toEqual(
      new Set([`${eventId}:order_hook:0`]),
    );
    expect(item).toMatchObject({
      observer: 'order_hook',
      actionIndex: 0,
      actionType: 'webhook',
      errorType: 'http_5xx',
    });
    expect(item!.event.id).toBe(eventId);
    expect(item!.event.entityId).toBe('d-1');
    expect(item!.attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
    expect(await e2e.stack.dlq.count()).toBe(1);

    // Still failing: the retry records one more attempt and keeps the item.
    expect(await e2e.stack.dlq.retry(item!.id)).toMatchObject({ status: 'failed' });
    expect(e2e.receiver.requests).toHaveLength(5);
    expect((await e2e.stack.dlq.show(item!.id)).retryCount).toBe(1);

    e2e.receiver.status = 200;
    expect(await e2e.stack.dlq.retry(item!.id)).toMatchObject({ status: 'succeeded' });
    expect(e2e.receiver.requests).toHaveLength(6);
    expect(JSON.parse(e2e.receiver.requests.at(-1)!.body)).toEqual({ order: 'd-1' });
    expect(await e2e.stack.dlq.count()).toBe(0);
    const missing = await e2e.stack.dlq.show(item!.id).catch((error: unknown) => error);
    expect(isObserverError(missing) && missing.code).toBe('DLQ_NOT_FOUND');
  });
});
