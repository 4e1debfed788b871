import type { Route } from '../http/http-server.js';
import { readBody } from '../http/http-server.js';
import type { Logger } from 'pino';

/** Signing secret of the demo webhook (demo only: real configs take it from `secretEnv`). */
export const DEMO_WEBHOOK_SECRET = 'whsec_ZnJhaXNlcWwtZGVtby13ZWJob29rLXNlY3JldA==';

/**
 * The observers the server runs when no config file exists: a signed webhook and a Slack-shaped
 * message to receivers inside the server, and a function action. YAML, so it goes through the
 * same loader and validation as a user's file.
 */
export function demoObserversYaml(baseUrl: string): string {
  return `# Demo observers (used when no fraiseql.config.yaml exists).
observers:
  order_created_webhook:
    description: POST every new order to a webhook receiver, signed (Standard Webhooks).
    entity: Order
    events: [INSERT]
    actions:
      - type: webhook
        url: ${baseUrl}/demo/webhook
        allowHosts: ["127.0.0.1", "::1"]
        signing:
          secrets: ["${DEMO_WEBHOOK_SECRET}"]
        body:
          order: "{{ data.id }}"
          total: "{{ data.total }}"
          status: "{{ data.status }}"
  order_shipped_slack:
    description: Post to Slack when an order ships.
    entity: Order
    events: [UPDATE]
    condition: "field_changed_to(status, 'shipped')"
    actions:
      - type: slack
        webhookUrl: ${baseUrl}/demo/slack
        allowHosts: ["127.0.0.1", "::1"]
        text: "Order {{ data.id }} shipped ({{ data.total }})"
  gold_customer_welcome:
    description: Call a function registered in code for every new gold customer.
    entity: Customer
    events: [INSERT]
    condition: "data.tier == 'gold'"
    actions:
      - type: function
        name: demo.welcome
`;
}

/** The receivers the demo observers call: they log what arrives. */
export function demoReceiverRoutes(logger: Logger): Route[] {
  return [
    {
      method: 'POST',
      pattern: '/demo/webhook',
      handler: async ({ raw }) => {
        const body = await readBody(raw);
        logger.info(
          {
            webhookId: raw.headers['webhook-id'],
            signed: raw.headers['webhook-signature'] !== undefined,
            body: JSON.parse(body) as unknown,
          },
          'demo webhook received',
        );
        return { status: 204, body: '' };
      },
    },
    {
      method: 'POST',
      pattern: '/demo/slack',
      handler: async ({ raw }) => {
        const message = JSON.parse(await readBody(raw)) as { text?: string };
        logger.info({ text: message.text }, `demo Slack message: ${message.text ?? '(blocks)'}`);
        return { status: 200, body: 'ok', contentType: 'text/plain' };
      },
    },
  ];
}
