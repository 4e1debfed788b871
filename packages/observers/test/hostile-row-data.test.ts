import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { EntityEvent, JsonObject } from '@fraiseql/core';
import { freePort, requireService } from '@fraiseql/testing';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createActionRegistry, type ActionRegistry } from '../src/actions/action-registry.js';
import { parseObserversConfig } from '../src/config/load-observers-config.js';
import { createObserverExecutor } from '../src/execution/observer-executor.js';
import { createMatcher } from '../src/matching/observer-matcher.js';
import { createObserverDefinitions } from '../src/matching/observer-definition.js';
import { recordingLogger } from './actions-fixtures.js';

// Row data is attacker-controlled. Random deep, wide, huge and odd JSON goes through every
// condition and action path of a real executor (webhook, Slack, email, cache, function); no shape
// may throw out of the executor, and an observer without a condition whose templates only use
// the entity id must receive every event, whatever the others did with it.

const redis = await requireService('redis');

/** mulberry32: a seeded PRNG, so a failing case is reproducible from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ODD_STRINGS = [
  '{{ data.secret }}',
  '{% raw %}',
  '<!channel> <script>alert(1)</script>',
  'a@b.test, attacker@evil.test',
  'victim@example.test <attacker@evil.test>',
  '\r\nBcc: attacker@evil.test',
  '\u0000\u0001\u001f',
  '\ud800 lone surrogate',
  '😀'.repeat(1000),
  '*?[a-z]\\',
  '../../etc/passwd',
  '__proto__',
  'constructor',
  '',
];
const ODD_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  '$ref',
  '{{x}}',
  '',
  '.',
  'a.b',
];

/** A random JSON value of one hostile kind. */
function hostile(random: () => number): unknown {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  switch (Math.floor(random() * 7)) {
    case 0: {
      // Deep: objects or arrays nested 5,000–30,000 levels.
      const depth = 5_000 + Math.floor(random() * 25_000);
      let value: unknown = pick(ODD_STRINGS);
      for (let i = 0; i < depth; i += 1) value = random() < 0.5 ? [value] : { a: value };
      return value;
    }
    case 1: {
      // Wide: up to 20,000 keys, some of them odd.
      const wide: Record<string, unknown> = {};
      const n = 1_000 + Math.floor(random() * 19_000);
      for (let i = 0; i < n; i += 1) {
        Object.defineProperty(
          wide,
          i % 97 === 0 ? `${pick(ODD_KEYS)}${String(i)}` : `k${String(i)}`,
          {
            value: i,
            enumerable: true,
          },
        );
      }
      return wide;
    }
    case 2:
      // Huge: a string of 1–6 MB.
      return 'x'.repeat(1_000_000 + Math.floor(random() * 5_000_000));
    case 3:
      return pick([1e308, -0, Number.MIN_VALUE, 2 ** 53 + 1, 0.1 + 0.2, true, false, null]);
    case 4: {
      // Looks cyclic: every object refers to "itself" by name.
      return {
        $ref: '#',
        self: { $ref: '#/self' },
        __proto__: { polluted: true },
        constructor: 'x',
      };
    }
    case 5:
      return pick(ODD_STRINGS);
    default:
      return Array.from({ length: 50 }, () => pick(ODD_STRINGS));
  }
}

function hostileEvent(random: () => number, index: number): EntityEvent {
  const data: Record<string, unknown> = {};
  for (const key of ['a', 'b', 'name', 'email', 'total', 'nested']) {
    const value = key === 'total' && random() < 0.3 ? 150 : hostile(random);
    Object.defineProperty(data, key, { value, enumerable: true });
  }
  return {
    id: randomUUID(),
    seq: BigInt(index + 1),
    eventType: 'INSERT',
    entityType: 'Order',
    entityId: `ord_${String(index)}`,
    data: data as JsonObject,
    timestamp: new Date(),
  };
}

/** What the test keeps of one request: never the body itself, which may be megabytes. */
interface Received {
  readonly path: string;
  /** The `id` field of a JSON body, when it has one. */
  readonly id?: string;
  readonly validJson: boolean;
}

function summarise(path: string, body: string): Received {
  try {
    const parsed = JSON.parse(body) as { id?: unknown };
    return { path, validJson: true, ...(typeof parsed.id === 'string' ? { id: parsed.id } : {}) };
  } catch {
    return { path, validJson: false };
  }
}

describe.skipIf(redis === undefined)('hostile row data through every action and condition', () => {
  let http: Server;
  let httpUrl = '';
  const received: Received[] = [];
  let smtp: SMTPServer;
  let smtpPort = 0;
  const mails: string[] = [];
  let registry: ActionRegistry;
  const calls: string[] = [];

  beforeAll(async () => {
    http = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push(summarise(req.url ?? '', Buffer.concat(chunks).toString('utf8')));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    httpUrl = `http://127.0.0.1:${String((http.address() as AddressInfo).port)}`;
    smtp = new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      size: 50 * 1024 * 1024,
      onData(stream, _session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          // A copy of the head: a slice would keep the whole message alive.
          mails.push(Buffer.concat(chunks).subarray(0, 2_000).toString('utf8'));
          callback();
        });
      },
    });
    smtpPort = await freePort();
    await new Promise<void>((resolve) => {
      smtp.listen(smtpPort, '127.0.0.1', resolve);
    });
    registry = createActionRegistry();
    registry.registerFunction('record', (event) => {
      calls.push(event.entityId);
    });
  });
  afterAll(async () => {
    await registry.close();
    await new Promise((resolve) => http.close(resolve));
    await new Promise<void>((resolve) => {
      smtp.close(resolve);
    });
  });

  it(
    'never throws out of the executor and always reaches the observer that only uses the id',
    { timeout: 240_000 },
    async () => {
      const config = parseObserversConfig(
        `
observers:
  plain:
    entity: Order
    events: [INSERT]
    onFailure: log
    actions:
      - type: webhook
        url: ${httpUrl}/plain
        allowHosts: [127.0.0.1]
        body: { id: '{{ entityId }}' }
  equal:
    entity: Order
    events: [INSERT]
    condition: "data.a == data.b || data.nested != data.a"
    onFailure: log
    retry: { maxAttempts: 1 }
    actions:
      - type: webhook
        url: ${httpUrl}/equal
        allowHosts: [127.0.0.1]
        body: { a: '{{ data.a }}', name: '{{ data.name }}', nested: '{{ data.nested }}' }
        headers: { x-name: '{{ data.name }}' }
  mail_to_row:
    entity: Order
    events: [INSERT]
    onFailure: log
    retry: { maxAttempts: 1 }
    actions:
      - type: email
        smtp: { host: 127.0.0.1, port: ${String(smtpPort)}, secure: false }
        from: shop@example.test
        to: '{{ data.email }}'
        subject: "Order {{ entityId }}"
        text: "{{ data.name }}"
  big:
    entity: Order
    events: [INSERT]
    condition: "data.total >= 100"
    onFailure: log
    retry: { maxAttempts: 1 }
    actions:
      - type: slack
        webhookUrl: ${httpUrl}/slack
        allowHosts: [127.0.0.1]
        text: "Order {{ entityId }}: {{ data.name }} {{ data.a }}"
      - type: email
        smtp: { host: 127.0.0.1, port: ${String(smtpPort)}, secure: false }
        from: shop@example.test
        to: ops@example.test
        subject: "Order {{ data.name }}"
        html: "<p>{{ data.a }}</p><p>{{ data.nested }}</p>"
        text: "{{ data.name }}"
      - type: cache
        redisUrl: ${redis?.url ?? 'redis://127.0.0.1:6379'}
        keys: ['fraiseql-hostile:{{ entityId }}:{{ data.name }}']
        patterns: ['fraiseql-hostile:{{ data.a }}:*']
      - type: function
        name: record
`,
        { format: 'yaml', registry },
      );
      const logger = recordingLogger();
      const handle = createObserverExecutor({
        matcher: createMatcher(createObserverDefinitions(config)),
        registry,
        logger,
        breaker: false,
        actionTimeout: 20_000,
      });
      const seed = Number(process.env.FRAISEQL_HOSTILE_SEED ?? 20261205);
      const random = prng(seed);
      const events = Array.from({ length: 40 }, (_, index) => hostileEvent(random, index));
      const escaped: unknown[] = [];
      try {
        for (const event of events) {
          await handle(event).catch((error: unknown) => escaped.push(error));
        }
      } finally {
        await handle.close();
      }
      // Nothing escaped the executor (seed ${seed} reproduces the run).
      expect(escaped, `seed ${String(seed)}`).toEqual([]);
      // The observer that uses only the id got every event, whatever the data did to the others.
      const plain = received.filter((request) => request.path === '/plain');
      expect(new Set(plain.map((request) => request.id))).toEqual(
        new Set(events.map((event) => event.entityId)),
      );
      // Every event that matched "big" either ran its function action or left a failure line
      // naming the observer: nothing vanished.
      for (const event of events.filter((e) => e.data.total === 150)) {
        const failed = logger.lines.some(
          (line) => line.fields.observer === 'big' && line.fields.eventId === event.id,
        );
        expect(calls.includes(event.entityId) || failed, event.entityId).toBe(true);
      }
      // The other paths really ran on some of the events.
      expect(received.filter((r) => r.path === '/equal').length).toBeGreaterThan(0);
      expect(received.filter((r) => r.path === '/slack').length).toBeGreaterThan(0);
      expect(mails.length).toBeGreaterThan(0);
      expect(calls.length).toBeGreaterThan(0);
      // JSON bodies stayed valid JSON whatever the values were.
      for (const request of received.filter((r) => r.path === '/equal' || r.path === '/slack')) {
        expect(request.validJson, request.path).toBe(true);
      }
    },
  );
});
