import { stringifyJson } from '@fraiseql/core';
import type { SlackActionConfig } from '../config/action-config.js';
import type { HttpPool } from '../net/http-pool.js';
import type { ActionExecutor } from './action-executor.js';
import { sendHttp } from './send-http.js';
import type { TemplateRenderer } from './template-renderer.js';
import { hostOf } from './webhook-action.js';

/** What {@link createSlackAction} needs. */
export interface SlackActionOptions {
  readonly pool: HttpPool;
  readonly templates: TemplateRenderer;
}

/**
 * The `slack` action: posts `{ text?, blocks? }` (rendered templates) as JSON to a Slack
 * incoming webhook; a success only on 2xx. Slack's error text (`invalid_payload`,
 * `channel_is_archived`, …) is kept in the error message.
 */
export function createSlackAction(options: SlackActionOptions): ActionExecutor<SlackActionConfig> {
  return {
    type: 'slack',
    endpoint: (config) => hostOf(config.webhookUrl),
    async execute(config, context) {
      const message: Record<string, unknown> = {};
      if (config.text !== undefined) {
        message.text = options.templates.text(config.text, context.event, { context: 'slack' });
      }
      if (config.blocks !== undefined) {
        message.blocks = options.templates.json(config.blocks, context.event, { context: 'slack' });
      }
      const { response, target } = await sendHttp(
        options.pool,
        {
          action: 'slack',
          url: config.webhookUrl,
          method: 'POST',
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'user-agent': 'fraiseql-observers',
          },
          body: stringifyJson(message),
          timeout: config.timeout,
          allowHosts: config.allowHosts,
          describeFailure: (failed) => slackErrorText(failed.body),
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

/** Slack answers errors with a short token such as `invalid_payload`; anything else is dropped. */
function slackErrorText(body: string): string | undefined {
  const text = body.trim();
  return /^[a-z_]{1,64}$/.test(text) ? text : undefined;
}
