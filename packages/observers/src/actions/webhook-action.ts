import { serializeEvent, stringifyJson } from '@fraiseql/core';
import type { WebhookActionConfig } from '../config/action-config.js';
import type { HttpPool } from '../net/http-pool.js';
import type { ActionExecutor } from './action-executor.js';
import { sendHttp } from './send-http.js';
import type { TemplateRenderer } from './template-renderer.js';
import { signWebhook, webhookMessageId } from './webhook-signature.js';

/** What {@link createWebhookAction} needs. */
export interface WebhookActionOptions {
  readonly pool: HttpPool;
  readonly templates: TemplateRenderer;
  /**
   * Clock for `webhook-timestamp`, in milliseconds.
   * @defaultValue `Date.now`
   */
  readonly now?: (() => number) | undefined;
}

/**
 * The `webhook` action: one HTTP request per event, a success only on 2xx. The body is the
 * rendered `body` template (JSON unless the template is a plain string) or the event JSON;
 * with `signing`, Standard Webhooks headers are added, `webhook-id` being
 * `<event id>:<observer>:<action index>` so it stays the same across retries.
 */
export function createWebhookAction(
  options: WebhookActionOptions,
): ActionExecutor<WebhookActionConfig> {
  const now = options.now ?? Date.now;
  return {
    type: 'webhook',
    endpoint: (config) => hostOf(config.url),
    async execute(config, context) {
      const headers: Record<string, string> = { 'user-agent': 'fraiseql-observers' };
      let body: string | undefined;
      if (config.method !== 'GET') {
        if (config.body === undefined) {
          body = serializeEvent(context.event);
          headers['content-type'] = 'application/json';
        } else if (typeof config.body === 'string' && sendsJson(config.headers)) {
          // A text body declared as JSON: values are escaped by position, so it stays JSON.
          body = options.templates.text(config.body, context.event, { context: 'json' });
        } else {
          const rendered = options.templates.json(config.body, context.event);
          const isText = typeof config.body === 'string' && typeof rendered === 'string';
          body = isText ? rendered : stringifyJson(rendered);
          headers['content-type'] = isText ? 'text/plain; charset=utf-8' : 'application/json';
        }
      }
      for (const [name, value] of Object.entries(config.headers)) {
        headers[name.toLowerCase()] = value;
      }
      if (config.signing !== undefined) {
        Object.assign(
          headers,
          signWebhook({
            id: webhookMessageId(context.event.id, context.observer, context.actionIndex),
            timestamp: Math.floor(now() / 1000),
            body: body ?? '',
            secrets: config.signing.secrets,
          }),
        );
      }
      const { response, target } = await sendHttp(
        options.pool,
        {
          action: 'webhook',
          url: config.url,
          method: config.method,
          headers,
          ...(body === undefined ? {} : { body }),
          timeout: config.timeout,
          allowHosts: config.allowHosts,
        },
        context,
      );
      return {
        summary: `${target} ${response.status}`,
        details: { status: response.status },
        response,
      };
    },
  };
}

function sendsJson(headers: Readonly<Record<string, string>>): boolean {
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'content-type') return /[/+]json\b/i.test(value);
  }
  return false;
}

/** Host (with port) of a URL, the circuit-breaker key of HTTP actions. */
export function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}
