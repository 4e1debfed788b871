import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { createTempDir, type TempDir } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

import {
  loadObserversConfig,
  validateObserversConfig,
} from '../src/config/load-observers-config.js';
import type { ActionSchemaSource } from '../src/config/observers-config.js';
import { createObserverDefinitions } from '../src/matching/observer-definition.js';

let dir: TempDir;
beforeAll(async () => {
  dir = await createTempDir('observers-config-load');
});
afterAll(async () => {
  await dir.close();
});

async function write(name: string, text: string): Promise<string> {
  const path = join(dir.path, name);
  await writeFile(path, text);
  return path;
}

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const env = {
  ORDER_HOOK: 'https://hooks.example.com/orders',
  ORDERS_TOKEN: 's3cret',
  ORDERS_SECRET: SECRET,
  SMTP_PASSWORD: 'mail-pass',
  REDIS_MAIN: 'redis://127.0.0.1:6379/2',
};

const yamlText = `# yaml-language-server: $schema=../observers.schema.json
version: 1
redis:
  urlEnv: REDIS_MAIN
observers:
  order_shipped:
    description: Tell the warehouse
    entity: Order
    events: [UPDATE]
    condition: "field_changed_to(status, 'shipped') && data.total >= 100"
    actions:
      - type: webhook
        urlEnv: ORDER_HOOK
        headers:
          Authorization: "Bearer \${ORDERS_TOKEN}"
        body: { order: "{{ entityId }}", total: "{{ data.total }}" }
        timeout: 5s
        signing: { secretEnv: ORDERS_SECRET }
      - type: email
        smtp: { host: mail.example.com, port: 587, user: shop, passwordEnv: SMTP_PASSWORD }
        from: shop@example.com
        to: ["{{ data.customer.email }}"]
        subject: "Order {{ entityId }} shipped"
        text: "Hello {{ data.customer.name | default('there') }}"
      - type: cache
        patterns: ["order:{{ entityId }}:*"]
    retry: { strategy: linear, maxAttempts: 3, initialDelay: 2s }
    ordering: per-entity
  audit:
    entity: "*"
    events: [INSERT, UPDATE, DELETE]
    actions: [{ type: function, name: audit }]
    onFailure: log
`;

const tomlText = `version = 1

[redis]
urlEnv = "REDIS_MAIN"

[observers.order_shipped]
description = "Tell the warehouse"
entity = "Order"
events = ["UPDATE"]
condition = "field_changed_to(status, 'shipped') && data.total >= 100"
retry = { strategy = "linear", maxAttempts = 3, initialDelay = "2s" }
ordering = "per-entity"

[[observers.order_shipped.actions]]
type = "webhook"
urlEnv = "ORDER_HOOK"
headers = { Authorization = "Bearer \${ORDERS_TOKEN}" }
body = { order = "{{ entityId }}", total = "{{ data.total }}" }
timeout = "5s"
signing = { secretEnv = "ORDERS_SECRET" }

[[observers.order_shipped.actions]]
type = "email"
smtp = { host = "mail.example.com", port = 587, user = "shop", passwordEnv = "SMTP_PASSWORD" }
from = "shop@example.com"
to = ["{{ data.customer.email }}"]
subject = "Order {{ entityId }} shipped"
text = "Hello {{ data.customer.name | default('there') }}"

[[observers.order_shipped.actions]]
type = "cache"
patterns = ["order:{{ entityId }}:*"]

[observers.audit]
entity = "*"
events = ["INSERT", "UPDATE", "DELETE"]
actions = [{ type = "function", name = "audit" }]
onFailure = "log"
`;

describe('loadObserversConfig', () => {
  it('reads the same config from YAML, TOML and JSON, with defaults and environment resolved', async () => {
    const fromYaml = await loadObserversConfig(await write('observers.yaml', yamlText), { env });
    const fromToml = await loadObserversConfig(await write('observers.toml', tomlText), { env });
    const fromJson = await loadObserversConfig(
      await write('observers.json', JSON.stringify(parseYaml(yamlText), null, 2)),
      { env },
    );
    expect(fromToml).toEqual(fromYaml);
    expect(fromJson).toEqual(fromYaml);

    const shipped = fromYaml.observers.order_shipped!;
    expect(shipped.retry).toEqual({
      strategy: 'linear',
      maxAttempts: 3,
      initialDelay: 2_000,
      maxDelay: 300_000,
      maxElapsed: 3_600_000,
    });
    expect(shipped.onFailure).toBe('dlq');
    expect(shipped.ordering).toBe('per-entity');
    expect(shipped.enabled).toBe(true);
    expect(shipped.actions).toEqual([
      {
        type: 'webhook',
        url: 'https://hooks.example.com/orders',
        urlEnv: 'ORDER_HOOK',
        method: 'POST',
        headers: { Authorization: 'Bearer s3cret' },
        body: { order: '{{ entityId }}', total: '{{ data.total }}' },
        timeout: 5_000,
        signing: { secrets: [SECRET] },
      },
      {
        type: 'email',
        smtp: { host: 'mail.example.com', port: 587, user: 'shop', password: 'mail-pass' },
        from: 'shop@example.com',
        to: ['{{ data.customer.email }}'],
        subject: 'Order {{ entityId }} shipped',
        text: "Hello {{ data.customer.name | default('there') }}",
        timeout: 20_000,
      },
      { type: 'cache', patterns: ['order:{{ entityId }}:*'], redisUrl: 'redis://127.0.0.1:6379/2' },
    ]);
    expect(fromYaml.redis).toEqual({ url: 'redis://127.0.0.1:6379/2' });
    expect(fromYaml.observers.audit?.retry.maxAttempts).toBe(5);

    const definitions = createObserverDefinitions(fromYaml);
    expect(definitions.map((definition) => definition.name)).toEqual(['order_shipped', 'audit']);
    expect(definitions[0]?.compiledCondition?.source).toBe(shipped.condition);
    expect(definitions[1]?.compiledCondition).toBeUndefined();
  });

  it('applies FRAISEQL_* overrides by the documented rule', () => {
    const config = validateObserversConfig(
      {
        source: { kind: 'change-log', consumer: 'orders' },
        observers: {
          order_shipped: {
            entity: 'Order',
            events: ['UPDATE'],
            actions: [{ type: 'function', name: 'a' }],
          },
        },
      },
      {
        env: {
          FRAISEQL_SOURCE__START_FROM: 'now',
          FRAISEQL_SOURCE__POLL_INTERVAL: '"10s"',
          FRAISEQL_SOURCE__BATCH_SIZE: '50',
          FRAISEQL_OBSERVERS__ORDER_SHIPPED__ENABLED: 'false',
          FRAISEQL_OBSERVERS__ORDER_SHIPPED__EVENTS: '["INSERT","UPDATE"]',
          FRAISEQL_OBSERVERS__ORDER_SHIPPED__RETRY__MAX_ATTEMPTS: '2',
          // Not config keys: left to the application.
          FRAISEQL_HTTP_PORT: '9000',
          FRAISEQL_DATA_DIR: '.fraiseql',
        },
      },
    );
    expect(config.source).toEqual({
      kind: 'change-log',
      consumer: 'orders',
      pollInterval: '10s',
      batchSize: 50,
      startFrom: 'now',
    });
    const nats = validateObserversConfig(
      { source: { kind: 'change-log' }, observers: {} },
      { env: { FRAISEQL_SOURCE__KIND: 'nats', FRAISEQL_SOURCE__MAX_DELIVER: '3' } },
    );
    expect(nats.source).toEqual({ kind: 'nats', maxDeliver: 3 });
    const observer = config.observers.order_shipped!;
    expect(observer.enabled).toBe(false);
    expect(observer.events).toEqual(['INSERT', 'UPDATE']);
    expect(observer.retry.maxAttempts).toBe(2);
  });

  it('turns overrides off with envPrefix: false and accepts a custom prefix', () => {
    const input = {
      observers: {
        a: { entity: 'A', events: ['INSERT'], actions: [{ type: 'function', name: 'a' }] },
      },
    };
    const off = validateObserversConfig(input, {
      envPrefix: false,
      env: { FRAISEQL_OBSERVERS__A__ENABLED: 'false' },
    });
    expect(off.observers.a?.enabled).toBe(true);
    const custom = validateObserversConfig(input, {
      envPrefix: 'SHOP_',
      env: { SHOP_OBSERVERS__A__ENABLED: 'false', FRAISEQL_OBSERVERS__A__ENABLED: 'true' },
    });
    expect(custom.observers.a?.enabled).toBe(false);
  });

  it('accepts action types registered by other packages, validated by their schema', () => {
    const searchSchema = z.strictObject({ type: z.literal('search'), index: z.string().min(1) });
    const registry: ActionSchemaSource = {
      knownTypes: () => ['cache', 'email', 'function', 'search', 'slack', 'webhook'],
      schemaFor: (type) => (type === 'search' ? searchSchema : undefined),
    };
    const observers = (index: string) => ({
      observers: {
        idx: { entity: 'Order', events: ['INSERT'], actions: [{ type: 'search', index }] },
      },
    });
    expect(
      validateObserversConfig(observers('orders'), { env: {}, registry }).observers.idx?.actions,
    ).toEqual([{ type: 'search', index: 'orders' }]);
    expect(() => validateObserversConfig(observers(''), { env: {}, registry })).toThrow(
      'observers.idx.actions[0].index: expected a non-empty string',
    );
  });
});
