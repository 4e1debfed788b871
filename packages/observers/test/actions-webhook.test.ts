import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActionRegistry, type ActionRegistry } from '../src/actions/action-registry.js';
import type { WebhookActionConfig } from '../src/config/action-config.js';
import { isObserverError } from '../src/errors.js';
import { createTemplateRenderer } from '../src/templates/create-template-renderer.js';
import { actionContext, orderEvent, recordingLogger } from './actions-fixtures.js';
import { startHttpReceiver, type HttpReceiver } from './actions-http-receiver.js';

const secret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

describe('webhook action against a local HTTP receiver', () => {
  let receiver: HttpReceiver;
  let registry: ActionRegistry;

  beforeAll(async () => {
    receiver = await startHttpReceiver();
    registry = createActionRegistry({ templates: createTemplateRenderer() });
  });
  afterAll(async () => {
    await registry.close();
    await receiver.close();
  });

  const webhook = (
    overrides: { [K in keyof WebhookActionConfig]?: WebhookActionConfig[K] | undefined } = {},
  ): WebhookActionConfig => {
    const config: Record<string, unknown> = {
      type: 'webhook',
      url: `${receiver.url}/hooks/orders`,
      method: 'POST',
      headers: {},
      timeout: 5_000,
      allowHosts: ['127.0.0.1'],
      ...overrides,
    };
    const defined = Object.entries(config).filter(([, value]) => value !== undefined);
    return Object.fromEntries(defined) as unknown as WebhookActionConfig;
  };

  it('POSTs the event JSON by default and reports the status', async () => {
    receiver.respond((_req, res) => res.writeHead(204).end());
    const event = orderEvent();
    const result = await registry.execute(webhook(), actionContext(event));
    expect(result.summary).toBe(`POST http://127.0.0.1:${receiver.port}/… 204`);
    const got = receiver.requests.at(-1)!;
    expect(got).toMatchObject({ method: 'POST', path: '/hooks/orders' });
    expect(got.headers['content-type']).toBe('application/json');
    expect(JSON.parse(got.body)).toMatchObject({
      id: event.id,
      seq: '42',
      entityType: 'Order',
      data: event.data,
    });
  });

  it('renders a JSON body template keeping value types, and sends configured headers', async () => {
    receiver.respond((_req, res) => res.writeHead(200).end('ok'));
    const event = orderEvent();
    await registry.execute(
      webhook({
        method: 'PUT',
        headers: { 'X-Api-Key': 'k-123' },
        body: {
          order: '{{ entityId }}',
          total: '{{ data.total }}',
          customer: '{{ data.customer }}',
          line: 'Order {{ entityId }} is {{ changes.status.new }}',
        },
      }),
      actionContext(event),
    );
    const got = receiver.requests.at(-1)!;
    expect(got.method).toBe('PUT');
    expect(got.headers['x-api-key']).toBe('k-123');
    expect(JSON.parse(got.body)).toEqual({
      order: 'ord_1',
      total: 99.5,
      customer: { email: 'ann@example.com', tier: 'gold' },
      line: 'Order ord_1 is shipped',
    });
  });

  it('signs with every rotated secret; standardwebhooks verifies; the id is stable across retries', async () => {
    const [oldSecret, newSecret] = [secret(), secret()];
    let fail = true;
    receiver.respond((_req, res) => {
      res.writeHead(fail ? 503 : 200).end();
      fail = false;
    });
    const event = orderEvent();
    const config = webhook({ signing: { secrets: [oldSecret, newSecret] } });
    const context = { ...actionContext(event), observer: 'billing', actionIndex: 2 };
    await expect(registry.execute(config, context)).rejects.toMatchObject({
      retryable: true,
      errorType: 'http_5xx',
    });
    await registry.execute(config, { ...context, attempt: 2 });
    const [first, second] = receiver.requests.slice(-2);
    for (const got of [first!, second!]) {
      const headers = {
        'webhook-id': String(got.headers['webhook-id']),
        'webhook-timestamp': String(got.headers['webhook-timestamp']),
        'webhook-signature': String(got.headers['webhook-signature']),
      };
      expect(headers['webhook-id']).toBe(`${event.id}:billing:2`);
      expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
      for (const key of [oldSecret, newSecret]) {
        expect(new Webhook(key).verify(got.body, headers)).toMatchObject({ id: event.id });
      }
      expect(() => new Webhook(secret()).verify(got.body, headers)).toThrow();
    }
  });

  it('treats 4xx as permanent and 429/5xx as retryable with Retry-After', async () => {
    receiver.respond((_req, res) => res.writeHead(404).end('nope'));
    await expect(registry.execute(webhook(), actionContext(orderEvent()))).rejects.toMatchObject({
      code: 'ACTION_FAILED',
      retryable: false,
      errorType: 'http_4xx',
    });
    receiver.respond((_req, res) => res.writeHead(429, { 'retry-after': '12' }).end());
    await expect(registry.execute(webhook(), actionContext(orderEvent()))).rejects.toMatchObject({
      retryable: true,
      errorType: 'http_429',
      retryAfterMs: 12_000,
    });
    const later = new Date(Date.now() + 60_000).toUTCString();
    receiver.respond((_req, res) => res.writeHead(503, { 'retry-after': later }).end());
    const error: unknown = await registry
      .execute(webhook(), actionContext(orderEvent()))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ retryable: true, errorType: 'http_5xx' });
    expect((error as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(50_000);
  });

  it('does not follow redirects: a 3xx is not a success', async () => {
    receiver.respond((_req, res) =>
      res.writeHead(302, { location: 'http://169.254.169.254/' }).end(),
    );
    const before = receiver.requests.length;
    await expect(registry.execute(webhook(), actionContext(orderEvent()))).rejects.toMatchObject({
      retryable: false,
      errorType: 'http_3xx',
    });
    expect(receiver.requests.length).toBe(before + 1);
  });

  it('enforces its own timeout and the context signal', async () => {
    receiver.respond(() => undefined); // never answers
    await expect(
      registry.execute(webhook({ timeout: 150 }), actionContext(orderEvent())),
    ).rejects.toMatchObject({
      code: 'ACTION_TIMEOUT',
      retryable: true,
      errorType: 'timeout',
    });
    const controller = new AbortController();
    const pending = registry.execute(
      webhook(),
      actionContext(orderEvent(), { signal: controller.signal }),
    );
    controller.abort(new DOMException('shutdown', 'AbortError'));
    await expect(pending).rejects.toMatchObject({ retryable: true, errorType: 'aborted' });
  });

  it('classifies a refused connection as a retryable network error', async () => {
    const closed = await startHttpReceiver();
    const url = `${closed.url}/x`;
    await closed.close();
    await expect(
      registry.execute(webhook({ url }), actionContext(orderEvent())),
    ).rejects.toMatchObject({
      retryable: true,
      errorType: 'network',
    });
  });

  it('blocks loopback, localhost, private and metadata addresses without an allowlist', async () => {
    const before = receiver.requests.length;
    for (const url of [
      `${receiver.url}/hooks`,
      `http://localhost:${receiver.port}/hooks`,
      `http://[::1]:${receiver.port}/hooks`,
      `http://[::ffff:127.0.0.1]:${receiver.port}/hooks`,
      'http://169.254.169.254/latest/meta-data/',
      `http://2130706433:${receiver.port}/`,
      'http://[fd00:ec2::254]/',
      'http://10.0.0.1/',
      'http://[fd00::1]/',
      'http://0.0.0.0/',
      'http://100.64.0.1/',
    ]) {
      const error: unknown = await registry
        .execute(webhook({ url, allowHosts: undefined }), actionContext(orderEvent()))
        .catch((e: unknown) => e);
      expect(isObserverError(error, 'SSRF_BLOCKED'), url).toBe(true);
      expect(error).toMatchObject({ retryable: false, errorType: 'ssrf' });
    }
    expect(receiver.requests.length).toBe(before);
  });

  it('keeps secrets, query strings, paths, headers and bodies out of logs and errors', async () => {
    const logger = recordingLogger();
    const signing = secret();
    const url = `${receiver.url}/hooks/T0SECRETPATH?token=QUERYSECRET`;
    const config = webhook({
      url,
      headers: { authorization: 'Bearer HEADERSECRET' },
      body: { card: 'BODYSECRET {{ entityId }}' },
      signing: { secrets: [signing] },
    });
    receiver.respond((_req, res) => res.writeHead(500).end('internal'));
    const error: unknown = await registry
      .execute(config, actionContext(orderEvent(), { logger }))
      .catch((e: unknown) => e);
    receiver.respond((_req, res) => res.writeHead(200).end());
    await registry.execute(config, actionContext(orderEvent(), { logger }));
    await registry
      .execute(
        webhook({ ...config, url: url.replace('127.0.0.1', 'localhost'), allowHosts: undefined }),
        actionContext(orderEvent(), { logger }),
      )
      .catch(() => undefined);
    expect(logger.lines.length).toBeGreaterThanOrEqual(3);
    const logged = JSON.stringify([logger.lines, (error as Error).message, (error as Error).stack]);
    for (const leak of [
      'T0SECRETPATH',
      'QUERYSECRET',
      'HEADERSECRET',
      'BODYSECRET',
      signing.slice(6),
    ]) {
      expect(logged).not.toContain(leak);
    }
    expect(logged).toContain(`http://127.0.0.1:${receiver.port}/…`);
  });

  it('turns credentials in the URL into Basic auth and keeps them out of the summary', async () => {
    receiver.respond((_req, res) => res.writeHead(200).end());
    const url = `http://hook-user:p%40ss@127.0.0.1:${receiver.port}/basic`;
    const result = await registry.execute(webhook({ url }), actionContext(orderEvent()));
    const got = receiver.requests.at(-1)!;
    expect(got.path).toBe('/basic');
    expect(got.headers.authorization).toBe(
      `Basic ${Buffer.from('hook-user:p@ss').toString('base64')}`,
    );
    expect(result.summary).not.toContain('hook-user');
  });

  it('sends a text template as text/plain and a single-placeholder template as JSON', async () => {
    receiver.respond((_req, res) => res.writeHead(200).end());
    await registry.execute(
      webhook({ body: 'Order {{ entityId }} shipped' }),
      actionContext(orderEvent()),
    );
    expect(receiver.requests.at(-1)).toMatchObject({ body: 'Order ord_1 shipped' });
    expect(receiver.requests.at(-1)?.headers['content-type']).toBe('text/plain; charset=utf-8');
    await registry.execute(webhook({ body: '{{ data.customer }}' }), actionContext(orderEvent()));
    expect(JSON.parse(receiver.requests.at(-1)!.body)).toEqual({
      email: 'ann@example.com',
      tier: 'gold',
    });
    expect(receiver.requests.at(-1)?.headers['content-type']).toBe('application/json');
  });

  it('sends GET without a body', async () => {
    receiver.respond((_req, res) => res.writeHead(200).end());
    await registry.execute(webhook({ method: 'GET' }), actionContext(orderEvent()));
    const got = receiver.requests.at(-1)!;
    expect(got).toMatchObject({ method: 'GET', body: '' });
  });

  it('fails a template that names a missing path, permanently, before sending', async () => {
    const before = receiver.requests.length;
    await expect(
      registry.execute(webhook({ body: { x: '{{ data.nope }}' } }), actionContext(orderEvent())),
    ).rejects.toMatchObject({ code: 'TEMPLATE_ERROR', retryable: false, errorType: 'template' });
    expect(receiver.requests.length).toBe(before);
  });
});
