import type { JsonValue } from '@fraiseql/core';
import { z } from 'zod';

import {
  envNameSchema,
  httpUrlSchema,
  jsonTemplateSchema,
  templateStringSchema,
} from './config-primitives.js';
import { asyncFlagSchema } from './async-flag.js';
import { durationSchema } from './duration-schema.js';
import { fieldPresence } from './field-presence.js';
import { retryConfigSchema, type RetryConfig } from './retry-config.js';

/** HTTP methods a webhook action may use. */
export const WEBHOOK_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE', 'GET'] as const;

/** An HTTP method a webhook action may use. */
export type WebhookMethod = (typeof WEBHOOK_METHODS)[number];

const allowHostsSchema = z
  .array(z.string().min(1, { error: 'expected a hostname, IP address or CIDR' }))
  .meta({
    description:
      'Hostnames, IP addresses or CIDR ranges exempt from the SSRF guard (private and loopback addresses are refused otherwise).',
  });

const webhookSecretSchema = z.string().regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, {
  error: 'expected a Standard Webhooks secret "whsec_<base64>"',
});

/** Schema of a `webhook` action: an HTTP request per matched event. */
export const webhookActionSchema = z
  .strictObject({
    type: z.literal('webhook'),
    async: asyncFlagSchema.optional(),
    url: httpUrlSchema.optional(),
    urlEnv: envNameSchema.optional(),
    method: z.enum(WEBHOOK_METHODS).default('POST'),
    headers: z
      .record(z.string(), z.string())
      .default({})
      .meta({ description: 'Request headers; values may contain ${ENV_VAR}, expanded at load.' }),
    body: jsonTemplateSchema
      .optional()
      .meta({ description: 'Body template; the event JSON when absent.' }),
    timeout: durationSchema.default(10_000),
    signing: z
      .strictObject({
        secrets: z.array(webhookSecretSchema).optional(),
        secretEnv: z.union([envNameSchema, z.array(envNameSchema)]).optional(),
      })
      .check(fieldPresence('at-least-one', ['secrets', 'secretEnv']))
      .optional()
      .meta({
        description: 'Standard Webhooks signing; with several secrets every one signs (rotation).',
      }),
    allowHosts: allowHostsSchema.optional(),
    retry: retryConfigSchema.optional(),
  })
  .check(fieldPresence('exactly-one', ['url', 'urlEnv']))
  .meta({ title: 'webhook', description: 'Sends an HTTP request for each matched event.' });

/** Schema of a `slack` action: a message to a Slack incoming webhook. */
export const slackActionSchema = z
  .strictObject({
    type: z.literal('slack'),
    async: asyncFlagSchema.optional(),
    webhookUrl: httpUrlSchema.optional(),
    webhookUrlEnv: envNameSchema.optional(),
    text: templateStringSchema.optional(),
    blocks: jsonTemplateSchema
      .optional()
      .meta({ description: 'Block Kit blocks (a JSON template).' }),
    timeout: durationSchema.default(10_000),
    allowHosts: allowHostsSchema.optional(),
  })
  .check(fieldPresence('exactly-one', ['webhookUrl', 'webhookUrlEnv']))
  .check(fieldPresence('at-least-one', ['text', 'blocks']))
  .meta({ title: 'slack', description: 'Posts a message to a Slack incoming webhook.' });

const smtpSchema = z
  .strictObject({
    url: z.url({ protocol: /^smtps?$/, error: 'expected an smtp:// or smtps:// URL' }).optional(),
    urlEnv: envNameSchema.optional(),
    host: z.string().min(1).optional(),
    port: z.int().min(1).max(65_535).optional(),
    secure: z.boolean().optional(),
    user: z.string().optional(),
    passwordEnv: envNameSchema.optional(),
  })
  .check(fieldPresence('exactly-one', ['url', 'urlEnv', 'host']))
  .meta({ description: 'SMTP server: a URL, a URL from the environment, or host/port.' });

const recipientSchema = z.union([
  templateStringSchema.meta({
    description: 'Exactly one address: values from the event cannot add or redirect recipients.',
  }),
  z.strictObject({ list: templateStringSchema }).meta({
    description: 'Explicitly a list: the value may be a list of addresses or text holding several.',
  }),
]);
const recipientsSchema = z.union([recipientSchema, z.array(recipientSchema).min(1)]);

/** Schema of an `email` action: one message through SMTP. */
export const emailActionSchema = z
  .strictObject({
    type: z.literal('email'),
    async: asyncFlagSchema.optional(),
    smtp: smtpSchema,
    from: templateStringSchema,
    to: recipientsSchema,
    cc: recipientsSchema.optional(),
    subject: templateStringSchema,
    text: templateStringSchema,
    html: templateStringSchema.optional(),
    timeout: durationSchema.default(20_000),
  })
  .meta({ title: 'email', description: 'Sends an email through SMTP.' });

/** Schema of a `cache` action: Redis key and glob-pattern invalidation. */
export const cacheActionSchema = z
  .strictObject({
    type: z.literal('cache'),
    async: asyncFlagSchema.optional(),
    redisUrl: z
      .url({ protocol: /^rediss?$/, error: 'expected a redis:// or rediss:// URL' })
      .optional(),
    redisUrlEnv: envNameSchema.optional(),
    keys: z.array(templateStringSchema).min(1).optional(),
    patterns: z
      .array(templateStringSchema)
      .min(1)
      .optional()
      .meta({ description: 'Glob templates; substituted values are glob-escaped.' }),
  })
  .check(fieldPresence('at-least-one', ['keys', 'patterns']))
  .meta({
    title: 'cache',
    description: 'Deletes Redis keys; the URL defaults to the top-level redis.url.',
  });

/** Schema of a `function` action: a handler registered in code by name. */
export const functionActionSchema = z
  .strictObject({
    type: z.literal('function'),
    async: asyncFlagSchema.optional(),
    name: z.string().min(1, { error: 'expected the name of a registered function' }),
  })
  .meta({ title: 'function', description: 'Calls a handler registered in code.' });

/** The built-in action schemas, keyed by `type`. */
export const builtinActionSchemas = {
  webhook: webhookActionSchema,
  slack: slackActionSchema,
  email: emailActionSchema,
  cache: cacheActionSchema,
  function: functionActionSchema,
} as const;

/** The `type` of a built-in action. */
export type BuiltinActionType = keyof typeof builtinActionSchemas;

/** Action types provided by other packages, with the package that provides each. */
export const EXTENSION_ACTION_PACKAGES: Readonly<Record<string, string>> = Object.freeze({
  search: '@fraiseql/elasticsearch',
  enqueue: '@fraiseql/job-queue',
});

/** Schema of any built-in action (discriminated on `type`). */
export const builtinActionSchema = z.discriminatedUnion('type', [
  webhookActionSchema,
  slackActionSchema,
  emailActionSchema,
  cacheActionSchema,
  functionActionSchema,
]);

/** A built-in action as written in a config file. */
export type ActionConfigInput = z.input<typeof builtinActionSchema>;

/** A built-in action after schema validation, before environment variables are resolved. */
export type ParsedActionConfig = z.output<typeof builtinActionSchema>;

/** A `webhook` action after schema validation, before environment variables are resolved. */
export type ParsedWebhookActionConfig = z.output<typeof webhookActionSchema>;
/** A `slack` action after schema validation, before environment variables are resolved. */
export type ParsedSlackActionConfig = z.output<typeof slackActionSchema>;
/** An `email` action after schema validation, before environment variables are resolved. */
export type ParsedEmailActionConfig = z.output<typeof emailActionSchema>;
/** A `cache` action after schema validation, before environment variables are resolved. */
export type ParsedCacheActionConfig = z.output<typeof cacheActionSchema>;

/** A ready-to-run `webhook` action: validated, defaults applied, environment resolved. */
export interface WebhookActionConfig {
  readonly type: 'webhook';
  /** Runs on a job-queue worker instead of inline. @defaultValue `false` */
  readonly async?: boolean;
  /** Target URL (from `url`, or the value of `urlEnv`). */
  readonly url: string;
  /** Name of the variable the URL came from, when it came from the environment. */
  readonly urlEnv?: string;
  /** @defaultValue `'POST'` */
  readonly method: WebhookMethod;
  /** Headers with `${ENV_VAR}` already expanded. @defaultValue `{}` */
  readonly headers: Readonly<Record<string, string>>;
  /** Body template (strings may contain `{{ path }}`); the event JSON when absent. */
  readonly body?: JsonValue;
  /** Per-attempt timeout in milliseconds. @defaultValue `10000` */
  readonly timeout: number;
  /** Signing secrets (`whsec_…`), literal ones first then those from `secretEnv`. */
  readonly signing?: { readonly secrets: readonly string[] };
  /** Hosts, IPs or CIDRs the SSRF guard lets through. */
  readonly allowHosts?: readonly string[];
  /** Overrides the observer's retry policy for this action. */
  readonly retry?: RetryConfig;
}

/** A ready-to-run `slack` action: validated, defaults applied, environment resolved. */
export interface SlackActionConfig {
  readonly type: 'slack';
  /** Runs on a job-queue worker instead of inline. @defaultValue `false` */
  readonly async?: boolean;
  /** Incoming-webhook URL (from `webhookUrl`, or the value of `webhookUrlEnv`). */
  readonly webhookUrl: string;
  /** Message text template. At least one of `text` and `blocks` is set. */
  readonly text?: string;
  /** Block Kit JSON template. */
  readonly blocks?: JsonValue;
  /** Per-attempt timeout in milliseconds. @defaultValue `10000` */
  readonly timeout: number;
  readonly allowHosts?: readonly string[];
}

/** SMTP connection settings of an email action, environment resolved. */
export interface SmtpConfig {
  /** `smtp://` or `smtps://` URL (from `url` or `urlEnv`); when absent, `host` is set. */
  readonly url?: string;
  readonly host?: string;
  readonly port?: number;
  readonly secure?: boolean;
  readonly user?: string;
  /** Value of `passwordEnv`. */
  readonly password?: string;
}

/** One recipient slot: a template that must give one address, or `{ list }` for several. */
export type RecipientTemplate = string | { readonly list: string };

/** A ready-to-run `email` action: validated, defaults applied, environment resolved. */
export interface EmailActionConfig {
  readonly type: 'email';
  /** Runs on a job-queue worker instead of inline. @defaultValue `false` */
  readonly async?: boolean;
  readonly smtp: SmtpConfig;
  /** Sender template. */
  readonly from: string;
  /** Recipient slots: each template gives exactly one address unless written `{ list: … }`. */
  readonly to: RecipientTemplate | readonly RecipientTemplate[];
  readonly cc?: RecipientTemplate | readonly RecipientTemplate[];
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
  /** Per-attempt timeout in milliseconds (below the source's ack deadline). @defaultValue `20000` */
  readonly timeout: number;
}

/** A ready-to-run `cache` action: validated, environment resolved. */
export interface CacheActionConfig {
  readonly type: 'cache';
  /** Runs on a job-queue worker instead of inline. @defaultValue `false` */
  readonly async?: boolean;
  /**
   * Redis URL (from `redisUrl`, `redisUrlEnv` or the top-level `redis`); when absent the
   * action registry's Redis factory decides.
   */
  readonly redisUrl?: string;
  /** Key templates to delete. */
  readonly keys?: readonly string[];
  /** Glob templates; substituted values are glob-escaped before matching. */
  readonly patterns?: readonly string[];
}

/** A `function` action: calls the handler registered under `name`. */
export interface FunctionActionConfig {
  readonly type: 'function';
  /** Runs on a job-queue worker instead of inline. @defaultValue `false` */
  readonly async?: boolean;
  readonly name: string;
}

/** Any ready-to-run built-in action. */
export type ActionConfig =
  | WebhookActionConfig
  | SlackActionConfig
  | EmailActionConfig
  | CacheActionConfig
  | FunctionActionConfig;
