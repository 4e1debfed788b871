import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { createTempDir, type TempDir } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { formatConfigIssue, type ConfigIssue } from '../src/config/config-issue.js';
import {
  loadObserversConfig,
  validateObserversConfig,
} from '../src/config/load-observers-config.js';
import type { ActionSchemaSource } from '../src/config/observers-config.js';
import { isObserverError } from '../src/errors.js';

// Each case is a real file on disk with one mistake; the loader must name the path, say what
// is wrong with the offending value, and give the line.

let dir: TempDir;
beforeAll(async () => {
  dir = await createTempDir('observers-config-errors');
});
afterAll(async () => {
  await dir.close();
});

async function issuesOf(
  fileName: string,
  text: string,
  options: { env?: Record<string, string>; registry?: ActionSchemaSource } = {},
): Promise<{ code: string; issues: ConfigIssue[]; message: string }> {
  const path = join(dir.path, fileName);
  await writeFile(path, text);
  try {
    await loadObserversConfig(path, {
      env: options.env ?? {},
      ...(options.registry ? { registry: options.registry } : {}),
    });
  } catch (error) {
    if (!isObserverError(error)) throw error;
    return {
      code: error.code,
      issues: error.details.issues as ConfigIssue[],
      message: error.message,
    };
  }
  throw new Error(`${fileName} was accepted`);
}

const yaml = (body: string): string => `observers:\n  order_shipped:\n${body}`;
// Lines 1-2 are `observers:` and `order_shipped:`; bodies below start on line 3.
const webhook = (extra: string, url = 'https://hooks.example.com/orders'): string =>
  yaml(`    entity: Order
    events: [UPDATE]
    actions:
      - type: webhook
        url: ${url}
${extra}`);

const cases: { kind: string; text: string; expected: string; env?: Record<string, string> }[] = [
  {
    kind: 'malformed URL',
    text: webhook('', '"htp:/x"'),
    expected:
      'observers.order_shipped.actions[0].url: expected an http or https URL, got "htp:/x" (observers.yaml:7)',
  },
  {
    kind: 'misspelt key',
    text: webhook('        methd: PUT\n'),
    expected:
      'observers.order_shipped.actions[0].methd: unknown key "methd" (did you mean "method"?) (observers.yaml:8)',
  },
  {
    kind: 'unknown event kind',
    text: yaml(`    entity: Order
    events: [UPDATE, INSRT]
    actions: [{ type: function, name: audit }]
`),
    expected:
      'observers.order_shipped.events[1]: expected one of "INSERT", "UPDATE", "DELETE", "CUSTOM", got "INSRT" (observers.yaml:4)',
  },
  {
    kind: 'condition syntax error',
    text: yaml(`    entity: Order
    events: [UPDATE]
    condition: "data.total > 100 && (data.x == 1))"
    actions: [{ type: function, name: audit }]
`),
    expected:
      "observers.order_shipped.condition: unexpected ')' at column 34, expected '&&', '||' or the end (observers.yaml:5)",
  },
  {
    kind: 'bad duration',
    text: webhook('        timeout: 5 minutes\n'),
    expected:
      'observers.order_shipped.actions[0].timeout: expected a duration: milliseconds or text such as "30s", "5m", "1h30m" (units ms, s, m, h, d, w), got "5 minutes" (observers.yaml:8)',
  },
  {
    kind: 'action timeout not below the source ack deadline',
    text: `source: { kind: nats, ackWait: 3s }\n${webhook('        timeout: 5s\n')}`,
    expected:
      "observers.order_shipped.actions[0].timeout: timeout 5000ms must be below the source's ackWait (3000ms), or the event may be delivered again while the action still runs: lower the timeout or raise source.ackWait (observers.yaml:9)",
  },
  {
    kind: 'unknown action type',
    text: yaml(`    entity: Order
    events: [UPDATE]
    actions:
      - type: sms
`),
    expected:
      'observers.order_shipped.actions[0].type: unknown action type "sms" (known: cache, email, function, slack, webhook) (observers.yaml:6)',
  },
  {
    kind: 'action type from a package that is not installed',
    text: yaml(`    entity: Order
    events: [UPDATE]
    actions:
      - type: search
        index: orders
`),
    expected:
      'observers.order_shipped.actions[0].type: action type "search" needs @fraiseql/elasticsearch: npm install @fraiseql/elasticsearch (observers.yaml:6)',
  },
  {
    kind: 'url and urlEnv both set',
    text: webhook('        urlEnv: ORDER_HOOK\n'),
    expected:
      'observers.order_shipped.actions[0].urlEnv: set only one of "url" or "urlEnv", not both (observers.yaml:8)',
    env: { ORDER_HOOK: 'https://x.example.com' },
  },
  {
    kind: 'neither url nor urlEnv',
    text: yaml(`    entity: Order
    events: [UPDATE]
    actions:
      - type: webhook
        method: PUT
`),
    expected:
      'observers.order_shipped.actions[0]: needs one of "url" or "urlEnv" (observers.yaml:6)',
  },
  {
    kind: 'environment variable not set',
    text: yaml(`    entity: Order
    events: [UPDATE]
    actions:
      - type: slack
        webhookUrlEnv: SLACK_ORDERS_HOOK
        text: "Order {{ entityId }} shipped"
`),
    expected:
      'observers.order_shipped.actions[0].webhookUrlEnv: environment variable SLACK_ORDERS_HOOK is not set (observers.yaml:7)',
  },
  {
    kind: '${VAR} in a header not set',
    text: webhook('        headers:\n          Authorization: "Bearer ${ORDERS_TOKEN}"\n'),
    expected:
      'observers.order_shipped.actions[0].headers.Authorization: environment variable ORDERS_TOKEN is not set (observers.yaml:9)',
  },
  {
    kind: 'environment variable with the wrong kind of value',
    text: yaml(`    entity: Order
    events: [UPDATE]
    actions:
      - type: webhook
        urlEnv: ORDER_HOOK
`),
    env: { ORDER_HOOK: 'ftp://files.example.com' },
    expected:
      'observers.order_shipped.actions[0].urlEnv: environment variable ORDER_HOOK is not a http/https URL (observers.yaml:7)',
  },
  {
    kind: 'no actions',
    text: yaml(`    entity: Order
    events: [UPDATE]
    actions: []
`),
    expected: 'observers.order_shipped.actions: expected at least 1 item, got 0 (observers.yaml:5)',
  },
  {
    kind: 'wrong type',
    text: yaml(`    entity: Order
    events: UPDATE
    actions: [{ type: function, name: audit }]
`),
    expected: 'observers.order_shipped.events: expected a list, got "UPDATE" (observers.yaml:4)',
  },
  {
    kind: 'missing required field',
    text: yaml(`    events: [UPDATE]
    actions: [{ type: function, name: audit }]
`),
    expected: 'observers.order_shipped.entity: missing (expected a string) (observers.yaml:2)',
  },
  {
    kind: 'number out of range',
    text: yaml(`    entity: Order
    events: [UPDATE]
    actions: [{ type: function, name: audit }]
    retry:
      maxAttempts: 0
`),
    expected:
      'observers.order_shipped.retry.maxAttempts: expected a number >= 1, got 0 (observers.yaml:7)',
  },
  {
    kind: 'enum value',
    text: yaml(`    entity: Order
    events: [UPDATE]
    actions: [{ type: function, name: audit }]
    onFailure: page
`),
    expected:
      'observers.order_shipped.onFailure: expected one of "log", "alert", "dlq", got "page" (observers.yaml:6)',
  },
  {
    kind: 'template syntax error',
    text: webhook('        body:\n          order: "{{ data.id"\n'),
    expected:
      "observers.order_shipped.actions[0].body: unclosed '{{' at column 1 (observers.yaml:8)",
  },
  {
    kind: 'template with an unknown root',
    text: yaml(`    entity: Order
    events: [UPDATE]
    actions:
      - type: email
        smtp: { url: "smtp://mail.example.com:25" }
        from: shop@example.com
        to: "{{ data.customer.email }}"
        subject: "Order {{ row.id }}"
        text: Shipped.
`),
    expected:
      "observers.order_shipped.actions[0].subject: unknown template root 'row' at column 7 (known: event, id, seq, eventType, entityType, entityId, tenantId, userId, data, before, changes, timestamp, metadata) (observers.yaml:10)",
  },
  {
    kind: 'slack action with nothing to say',
    text: yaml(`    entity: Order
    events: [UPDATE]
    actions:
      - type: slack
        webhookUrl: https://hooks.slack.com/services/T/B/X
`),
    expected:
      'observers.order_shipped.actions[0]: needs at least one of "text", "blocks" (observers.yaml:6)',
  },
  {
    kind: 'signing secret from env in the wrong format',
    text: webhook('        signing:\n          secretEnv: ORDERS_SECRET\n'),
    env: { ORDERS_SECRET: 'hunter2' },
    expected:
      'observers.order_shipped.actions[0].signing.secretEnv: environment variable ORDERS_SECRET is not a Standard Webhooks secret "whsec_<base64>" (observers.yaml:9)',
  },
  {
    kind: 'invalid observer name',
    text: `observers:
  "order shipped":
    entity: Order
    events: [UPDATE]
    actions: [{ type: function, name: audit }]
`,
    expected:
      'observers["order shipped"]: invalid observer name "order shipped": use a letter, then letters, digits, "_" or "-" (at most 128 characters) (observers.yaml:2)',
  },
  {
    kind: 'observer named __proto__ (an object literal would drop it silently)',
    text: `observers:
  __proto__:
    entity: Order
    events: [UPDATE]
    actions: [{ type: function, name: audit }]
`,
    expected:
      'observers.__proto__: invalid observer name "__proto__": use a letter, then letters, digits, "_" or "-" (at most 128 characters) (observers.yaml:2)',
  },
  {
    kind: 'event kind listed twice',
    text: yaml(`    entity: Order
    events: [UPDATE, INSERT, UPDATE]
    actions: [{ type: function, name: audit }]
`),
    expected: 'observers.order_shipped.events[2]: "UPDATE" is listed twice (observers.yaml:4)',
  },
  {
    kind: 'unknown top-level key',
    text: `observer:\n  x: 1\nobservers: {}\n`,
    expected: 'observer: unknown key "observer" (did you mean "observers"?) (observers.yaml:1)',
  },
  {
    kind: 'action written as a bare name',
    text: yaml(`    entity: Order
    events: [UPDATE]
    actions: [webhook]
`),
    expected:
      'observers.order_shipped.actions[0]: expected an action object with a "type" (one of cache, email, function, slack, webhook), got "webhook" (observers.yaml:5)',
  },
  {
    kind: 'source option rejected by the source',
    text: `source:\n  kind: nats\n  maxDeliver: 0\nobservers: {}\n`,
    expected: 'source.maxDeliver: expected a number >= 1, got 0 (observers.yaml:3)',
  },
  {
    kind: 'unknown source kind',
    text: `source:\n  kind: kafka\nobservers: {}\n`,
    expected:
      'source.kind: expected one of "change-log", "nats", "memory", got "kafka" (observers.yaml:2)',
  },
  {
    kind: 'YAML syntax error',
    text: `observers:\n  order_shipped:\n    entity: Order\n   events: [UPDATE\n`,
    expected:
      '(root): YAML syntax: All mapping items must start at the same column (observers.yaml:4)',
  },
];

describe('observers config errors', () => {
  it.each(cases)('$kind', async ({ text, expected, env }) => {
    const { issues, code } = await issuesOf(
      'observers.yaml',
      text,
      env === undefined ? {} : { env },
    );
    const lines = issues.map(formatConfigIssue);
    expect(lines, lines.join('\n')).toContain(expected);
    expect(code).toMatch(/^CONFIG_(INVALID|ENV_MISSING)$/);
  });

  it('covers at least 15 kinds of mistakes', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  it('reports every problem of a file at once, in file order', async () => {
    const { issues, message, code } = await issuesOf(
      'many.yaml',
      `observers:
  order_shipped:
    entity: Order
    events: [UPDATE, INSRT]
    condition: "data.total >"
    actions:
      - type: webhook
        url: "htp:/x"
        headers: { X-Token: "\${MISSING_TOKEN}" }
      - type: search
  audit:
    entity: "*"
    events: []
    actions: [{ type: function }]
`,
    );
    expect(code).toBe('CONFIG_INVALID');
    expect(issues.map(formatConfigIssue)).toEqual([
      'observers.order_shipped.events[1]: expected one of "INSERT", "UPDATE", "DELETE", "CUSTOM", got "INSRT" (many.yaml:4)',
      'observers.order_shipped.condition: unexpected end of condition at column 13, expected a value, a path or ( (many.yaml:5)',
      'observers.order_shipped.actions[0].url: expected an http or https URL, got "htp:/x" (many.yaml:8)',
      'observers.order_shipped.actions[0].headers.X-Token: environment variable MISSING_TOKEN is not set (many.yaml:9)',
      'observers.order_shipped.actions[1].type: action type "search" needs @fraiseql/elasticsearch: npm install @fraiseql/elasticsearch (many.yaml:10)',
      'observers.audit.events: expected at least 1 item, got 0 (many.yaml:13)',
      'observers.audit.actions[0].name: missing (expected a string) (many.yaml:14)',
    ]);
    expect(message.split('\n')[0]).toBe('observers config many.yaml has 7 problems:');
  });

  it('uses CONFIG_ENV_MISSING when only environment variables are missing', async () => {
    const { code, issues } = await issuesOf(
      'env.yaml',
      yaml(`    entity: Order
    events: [UPDATE]
    actions:
      - type: webhook
        urlEnv: ORDER_HOOK
        signing: { secretEnv: [SECRET_A, SECRET_B] }
`),
      { env: { SECRET_A: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } },
    );
    expect(code).toBe('CONFIG_ENV_MISSING');
    expect(issues.map(formatConfigIssue)).toEqual([
      'observers.order_shipped.actions[0].urlEnv: environment variable ORDER_HOOK is not set (env.yaml:7)',
      'observers.order_shipped.actions[0].signing.secretEnv[1]: environment variable SECRET_B is not set (env.yaml:8)',
    ]);
  });

  it('checks function names against the registry', async () => {
    const registry: ActionSchemaSource = {
      knownTypes: () => ['cache', 'email', 'function', 'slack', 'webhook'],
      schemaFor: () => undefined,
      functionNames: () => ['audit'],
    };
    const { issues } = await issuesOf(
      'functions.yaml',
      yaml(`    entity: Order
    events: [UPDATE]
    actions:
      - type: function
        name: audti
`),
      { registry },
    );
    expect(issues.map(formatConfigIssue)).toEqual([
      'observers.order_shipped.actions[0].name: no function registered as "audti" (registered: audit); call registry.registerFunction before loading the config (functions.yaml:7)',
    ]);
  });

  it('names the override variable for values that came from the environment', async () => {
    const { issues } = await issuesOf(
      'override.yaml',
      yaml(`    entity: Order
    events: [UPDATE]
    actions: [{ type: function, name: audit }]
`),
      { env: { FRAISEQL_OBSERVERS__ORDER_SHIPPED__ON_FAILURE: 'email' } },
    );
    expect(issues.map(formatConfigIssue)).toEqual([
      'observers.order_shipped.onFailure: expected one of "log", "alert", "dlq", got "email" (from FRAISEQL_OBSERVERS__ORDER_SHIPPED__ON_FAILURE)',
    ]);
  });
});

describe('observers config errors in TOML', () => {
  it('gives lines in array tables, inline tables and multi-line arrays', async () => {
    const { issues } = await issuesOf(
      'observers.toml',
      `# Orders
[observers.order_shipped]
entity = "Order"
events = ["UPDATE", "INSRT"]
condition = "data.total > 100 &&"

[[observers.order_shipped.actions]]
type = "webhook"
url = "htp:/x"
methd = "PUT"

[[observers.order_shipped.actions]]
type = "slack"
webhookUrl = "https://hooks.slack.com/services/T/B/X"

[observers.audit]
entity = "*"
events = ["INSERT"]
actions = [
  { type = "function", name = "audit" },
  { type = "cache", redisUrl = "http://x" },
]

[observers.audit.retry]
strategy = "random"
`,
    );
    expect(issues.map(formatConfigIssue)).toEqual([
      'observers.order_shipped.events[1]: expected one of "INSERT", "UPDATE", "DELETE", "CUSTOM", got "INSRT" (observers.toml:4)',
      'observers.order_shipped.condition: unexpected end of condition at column 20, expected a value, a path or ( (observers.toml:5)',
      'observers.order_shipped.actions[0].url: expected an http or https URL, got "htp:/x" (observers.toml:9)',
      'observers.order_shipped.actions[0].methd: unknown key "methd" (did you mean "method"?) (observers.toml:10)',
      'observers.order_shipped.actions[1]: needs at least one of "text", "blocks" (observers.toml:12)',
      'observers.audit.actions[1].redisUrl: expected a redis:// or rediss:// URL, got "http://x" (observers.toml:21)',
      'observers.audit.actions[1]: needs at least one of "keys", "patterns" (observers.toml:21)',
      'observers.audit.retry.strategy: expected one of "exponential", "linear", "fixed", got "random" (observers.toml:25)',
    ]);
  });

  it('reports TOML syntax errors with the line', async () => {
    const { issues } = await issuesOf(
      'broken.toml',
      '[observers.a]\nentity = "Order"\nevents = [UPDATE]\n',
    );
    expect(issues.map(formatConfigIssue)).toEqual([
      expect.stringMatching(/^\(root\): TOML syntax: .* \(broken\.toml:3\)$/),
    ]);
  });
});

describe('observers config errors in JSON', () => {
  it('gives lines for JSON files too', async () => {
    const { issues } = await issuesOf(
      'observers.json',
      JSON.stringify(
        {
          observers: {
            order_shipped: {
              entity: 'Order',
              events: ['UPDATE'],
              actions: [{ type: 'webhook', url: 'htp:/x' }],
            },
          },
        },
        null,
        2,
      ),
    );
    expect(issues.map(formatConfigIssue)).toEqual([
      'observers.order_shipped.actions[0].url: expected an http or https URL, got "htp:/x" (observers.json:11)',
    ]);
  });

  it('reports JSON syntax errors with their lines', async () => {
    const { issues } = await issuesOf('broken.json', '{\n  "observers": {,}\n}\n');
    expect(issues.length).toBeGreaterThanOrEqual(1);
    expect(issues[0]?.message).toMatch(/^JSON syntax: /);
    expect(issues[0]?.line).toBe(2);
    // What JSON.parse says only as "at position N", with the line.
    const late = await issuesOf(
      'late.json',
      '{\n  "observers": {\n    "a": {\n      "entity": "Order",\n      "events": ["INSERT"],\n      "actions": [}\n  }\n}\n',
    );
    expect(late.issues[0]?.line).toBe(6);
    expect(late.issues[0]?.message).not.toMatch(/position/);
    const trailing = await issuesOf('trailing.json', '{ "observers": {}, }');
    expect(trailing.issues[0]?.message).toMatch(/^JSON syntax: /);
  });

  it('refuses duplicate keys, such as two observers of the same name, with the line of each', async () => {
    const observer = (url: string): string =>
      `{ "entity": "Order", "events": ["INSERT"], "actions": [{ "type": "webhook", "url": "${url}" }] }`;
    const { issues } = await issuesOf(
      'dupes.json',
      `{\n  "observers": {\n    "same": ${observer('https://a.example/1')},\n    "same": ${observer('https://a.example/2')}\n  }\n}\n`,
    );
    expect(issues.map(formatConfigIssue)).toEqual([
      '(root): JSON: duplicate key "same" in observers (each key may appear once) (dupes.json:4)',
    ]);
  });
});

describe('conditions nested too deep', () => {
  it('are config errors with the path, line and column, never a RangeError', async () => {
    const deep = `${'('.repeat(2_000)}data.a${')'.repeat(2_000)}`;
    const { issues } = await issuesOf(
      'deep.yaml',
      yaml(`    entity: Order
    events: [UPDATE]
    condition: "${'!'.repeat(12_000)}data.a"
    actions: [{ type: function, name: f }]
  second:
    entity: Order
    events: [UPDATE]
    condition: "${deep}"
    actions: [{ type: function, name: f }]
`),
    );
    expect(issues.map(formatConfigIssue)).toEqual([
      "observers.order_shipped.condition: condition nested deeper than 100 levels (parentheses, '!', lists and function calls) at column 101 (deep.yaml:5)",
      "observers.second.condition: condition nested deeper than 100 levels (parentheses, '!', lists and function calls) at column 101 (deep.yaml:10)",
    ]);
    expect(() =>
      validateObserversConfig(
        {
          observers: {
            a: {
              entity: 'x',
              events: ['INSERT'],
              condition: deep,
              actions: [{ type: 'function', name: 'f' }],
            },
          },
        },
        { env: {} },
      ),
    ).toThrow(/observers\.a\.condition: condition nested deeper than 100 levels .* at column 101/);
  });
});
