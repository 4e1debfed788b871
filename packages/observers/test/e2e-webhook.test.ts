import { randomBytes } from 'node:crypto';
import { requireService, waitFor } from '@fraiseql/testing';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drained, lastEventId, startWebhookStack, type WebhookStack } from './e2e-fixture.js';

const pg = await requireService('postgres');

const secret = `whsec_${randomBytes(24).toString('base64')}`;

describe.skipIf(pg === undefined)('end to end: INSERT → signed webhook (PostgreSQL)', () => {
  let e2e: WebhookStack;

  beforeAll(async () => {
    e2e = await startWebhookStack(pg!, (receiver) => ({
      env: { ORDER_HOOK_SECRET: secret },
      yaml: `
version: 1
observers:
  order_created:
    entity: Order
    events: [INSERT]
    actions:
      - type: webhook
        url: ${receiver.url}/hooks/orders
        allowHosts: [127.0.0.1]
        headers: { X-Shop: e2e }
        body:
          order: '{{ entityId }}'
          total: '{{ data.total }}'
          line: 'order {{ entityId }} for {{ data.email }}'
        signing: { secretEnv: ORDER_HOOK_SECRET }
`,
    }));
  });
  afterAll(async () => {
    await e2e.close();
  });

  it('posts the rendered body, signed so that a Standard Webhooks receiver verifies it', async () => {
    await e2e.db.query('INSERT INTO tb_order (id, total, email) VALUES ($1, $2, $3)', [
      'ord-1',
      120,
      'ann@example.com',
    ]);
    const [request] = await waitFor(
      () => e2e.receiver.requests.length > 0 && e2e.receiver.requests,
      {
        message: 'webhook received',
        timeoutMs: 15_000,
      },
    );
    expect(request).toMatchObject({ method: 'POST', path: '/hooks/orders' });
    expect(request!.headers['x-shop']).toBe('e2e');
    expect(request!.headers['content-type']).toMatch(/^application\/json/);
    // The body is the rendered template: a lone placeholder keeps the JSON type of the value.
    expect(JSON.parse(request!.body)).toEqual({
      order: 'ord-1',
      total: 120,
      line: 'order ord-1 for ann@example.com',
    });
    const verified = new Webhook(secret).verify(request!.body, request!.headers);
    expect(verified).toEqual(JSON.parse(request!.body));
    const eventId = await lastEventId(e2e.db, 'ord-1');
    expect(request!.headers['webhook-id']).toBe(`${eventId}:order_created:0`);

    // A tampered body or another secret does not verify.
    expect(() =>
      new Webhook(secret).verify(request!.body.replace('120', '121'), request!.headers),
    ).toThrow();
    expect(() =>
      new Webhook(`whsec_${randomBytes(24).toString('base64')}`).verify(
        request!.body,
        request!.headers,
      ),
    ).toThrow();

    await drained(e2e.stack.runtime);
    expect(e2e.receiver.requests).toHaveLength(1);
    expect(await e2e.stack.dlq.count()).toBe(0);
  });

  it('does not fire for events the observer does not watch', async () => {
    const before = e2e.receiver.requests.length;
    await e2e.db.query("UPDATE tb_order SET status = 'paid' WHERE id = 'ord-1'");
    await e2e.db.query('DELETE FROM tb_order WHERE id = $1', ['ord-1']);
    await e2e.db.query('INSERT INTO tb_order (id, total) VALUES ($1, $2)', ['ord-2', 5]);
    await waitFor(() => e2e.receiver.requests.length > before, { timeoutMs: 15_000 });
    await drained(e2e.stack.runtime);
    // UPDATE and DELETE went through the runtime too (the log is drained), but only the INSERT
    // matched.
    expect(e2e.receiver.requests.slice(before).map((r) => JSON.parse(r.body) as unknown)).toEqual([
      { order: 'ord-2', total: 5, line: 'order ord-2 for ' },
    ]);
  });
});
