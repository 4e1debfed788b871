import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActionRegistry, type ActionRegistry } from '../src/actions/action-registry.js';
import type { SlackActionConfig } from '../src/config/action-config.js';
import { createTemplateRenderer } from '../src/templates/create-template-renderer.js';
import { actionContext, orderEvent, recordingLogger } from './actions-fixtures.js';
import { startHttpReceiver, type HttpReceiver } from './actions-http-receiver.js';

describe('slack action against a local incoming-webhook receiver', () => {
  let receiver: HttpReceiver;
  let registry: ActionRegistry;

  beforeAll(async () => {
    receiver = await startHttpReceiver();
    // Answers like Slack: 200 "ok" for a valid message, 400 "invalid_payload" otherwise.
    receiver.respond((req, res) => {
      const message = JSON.parse(req.body) as { text?: unknown; blocks?: unknown };
      const valid =
        (typeof message.text === 'string' && message.text !== '') || Array.isArray(message.blocks);
      res.writeHead(valid ? 200 : 400, { 'content-type': 'text/plain' });
      res.end(valid ? 'ok' : 'invalid_payload');
    });
    registry = createActionRegistry({ templates: createTemplateRenderer() });
  });
  afterAll(async () => {
    await registry.close();
    await receiver.close();
  });

  const slack = (overrides: {
    [K in keyof SlackActionConfig]?: SlackActionConfig[K] | undefined;
  }): SlackActionConfig => {
    const config: Record<string, unknown> = {
      type: 'slack',
      webhookUrl: `${receiver.url}/services/T000/B000/XXXXSECRET`,
      timeout: 5_000,
      allowHosts: ['127.0.0.1'],
      ...overrides,
    };
    const defined = Object.entries(config).filter(([, value]) => value !== undefined);
    return Object.fromEntries(defined) as unknown as SlackActionConfig;
  };

  it('posts rendered text as JSON', async () => {
    const result = await registry.execute(
      slack({
        text: 'Order {{ entityId }} is now {{ changes.status.new }} ({{ data.total }} EUR)',
      }),
      actionContext(orderEvent()),
    );
    expect(result.summary).toContain('200');
    const got = receiver.requests.at(-1)!;
    expect(got.method).toBe('POST');
    expect(got.path).toBe('/services/T000/B000/XXXXSECRET');
    expect(got.headers['content-type']).toContain('application/json');
    expect(JSON.parse(got.body)).toEqual({ text: 'Order ord_1 is now shipped (99.5 EUR)' });
  });

  it('posts rendered Block Kit blocks next to the fallback text', async () => {
    await registry.execute(
      slack({
        text: 'Order {{ entityId }} shipped',
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: 'Order {{ entityId }}' } },
          {
            type: 'section',
            fields: [
              { type: 'mrkdwn', text: '*Customer*\n{{ data.customer.email }}' },
              { type: 'mrkdwn', text: '*Tier*\n{{ data.customer.tier }}' },
            ],
          },
        ],
      }),
      actionContext(orderEvent()),
    );
    const message = JSON.parse(receiver.requests.at(-1)!.body) as Record<string, unknown>;
    expect(message).toEqual({
      text: 'Order ord_1 shipped',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'Order ord_1' } },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*Customer*\nann@example.com' },
            { type: 'mrkdwn', text: '*Tier*\ngold' },
          ],
        },
      ],
    });
  });

  it("fails permanently on Slack's invalid_payload, naming it but not the webhook token", async () => {
    const logger = recordingLogger();
    const error: unknown = await registry
      .execute(
        slack({ text: '{{ data.missing | default("") }}' }),
        actionContext(orderEvent(), { logger }),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ACTION_FAILED', retryable: false, errorType: 'http_4xx' });
    expect((error as Error).message).toContain('invalid_payload');
    expect(JSON.stringify([(error as Error).message, logger.lines])).not.toContain('XXXXSECRET');
  });

  it('is refused by the SSRF guard when the webhook URL points at loopback without an allowlist', async () => {
    const before = receiver.requests.length;
    await expect(
      registry.execute(slack({ text: 'hi', allowHosts: undefined }), actionContext(orderEvent())),
    ).rejects.toMatchObject({ code: 'SSRF_BLOCKED', errorType: 'ssrf' });
    expect(receiver.requests.length).toBe(before);
  });
});
