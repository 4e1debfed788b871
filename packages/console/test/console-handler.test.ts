import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  connectDatabase,
  coreMigrations,
  createAdminAuth,
  installCapture,
  migrate,
  type SqlClient,
} from '@fraiseql/core';
import { createTestDatabase, requireService, type TestDatabase } from '@fraiseql/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsoleHandler, isConsoleError, type ConsoleHandler } from '../src/index.js';

const OPERATOR = 'operator-token-0123456789abcdef';
const READ_ONLY = 'read-only-token-0123456789abcdef';

const postgres = await requireService('postgres');

let database: TestDatabase;
let db: SqlClient;
let server: Server;
let handler: ConsoleHandler;
let base: string;
const cleanups: (() => Promise<void>)[] = [];
const counter = { values: [{ value: 0 }] };

describe.skipIf(postgres === undefined)('createConsoleHandler on PostgreSQL', () => {
  beforeAll(async () => {
    database = await createTestDatabase(postgres);
    cleanups.push(() => database.close());
    db = await connectDatabase({ url: database.url });
    cleanups.push(() => db.close());
    await migrate(db, { sets: [coreMigrations] });
    await db.exec('CREATE TABLE tb_item (id text PRIMARY KEY, name text, tenant text)');
    await installCapture(db, { table: 'tb_item', entityType: 'Item', idColumn: 'id' });
    server = createServer((request, response) => {
      void handler(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => {
            resolve();
          });
        }),
    );
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    base = `http://${host}`;
    handler = createConsoleHandler({
      auth: createAdminAuth({
        tokens: [
          { name: 'ops', role: 'operator', token: OPERATOR },
          { name: 'viewer', role: 'read-only', token: READ_ONLY },
        ],
        allowedHosts: [host],
      }),
      db,
      metrics: {
        getSingleMetric: (name) =>
          name === 'fraiseql_observer_events_processed_total'
            ? { get: () => Promise.resolve(counter) }
            : undefined,
      },
      pollInterval: '100ms',
      heartbeatInterval: '100ms',
      rateInterval: '100ms',
    });
    cleanups.push(() => handler.close());
  });

  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const auth = (token = OPERATOR) => ({ authorization: `Bearer ${token}` });

  it('serves the app shell with a strict content security policy, and redirects the bare path', async () => {
    const page = await fetch(`${base}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${base}/console/${script ?? ''}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const bare = await fetch(`${base}/console`, { redirect: 'manual' });
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/console/');
    expect((await fetch(`${base}/console/../../etc/passwd`)).status).toBe(404);
    expect((await fetch(`${base}/elsewhere`)).status).toBe(404);
    expect((await fetch(`${base}/console/`, { method: 'POST' })).status).toBe(405);
  });

  it('refuses its API without a valid token, and answers the session with the role', async () => {
    expect((await fetch(`${base}/console/api/session`)).status).toBe(401);
    expect((await fetch(`${base}/console/api/events`)).status).toBe(401);
    expect(
      (await fetch(`${base}/console/api/rates`, { headers: auth('nope-0123456789abcdef') })).status,
    ).toBe(401);
    const session = await fetch(`${base}/console/api/session`, { headers: auth(READ_ONLY) });
    expect(await session.json()).toMatchObject({
      name: 'viewer',
      role: 'read-only',
      adminPath: '/admin',
      events: true,
    });
  });

  it('answers 421 to a foreign Host (DNS rebinding), even for the app shell', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${base}/console/`, { headers: { host: 'evil.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(421);
  });

  it('streams a row whose transaction commits after a later one has committed (never skipped)', async () => {
    const stream = await openStream('entity=Item');
    try {
      const early = `early-${randomUUID()}`;
      const late = `late-${randomUUID()}`;
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let inserted!: () => void;
      const insertedEarly = new Promise<void>((resolve) => (inserted = resolve));
      // The first insert takes the lower sequence but commits last.
      const slow = db.transaction(async (tx) => {
        await tx.query('INSERT INTO tb_item (id, name) VALUES ($1, $2)', [early, 'slow']);
        inserted();
        await held;
      });
      await insertedEarly;
      await db.query('INSERT INTO tb_item (id, name) VALUES ($1, $2)', [late, 'fast']);
      // Let the stream read past the committed row while the other is still open.
      await stream.waitForReads(3);
      expect(stream.ids()).not.toContain(late);
      release();
      await slow;
      const events = await stream.until((ids) => ids.includes(early) && ids.includes(late));
      const seqs = events.map((event) => BigInt(event.seq));
      const early_ = events.find((event) => event.entityId === early);
      const late_ = events.find((event) => event.entityId === late);
      expect(BigInt(early_!.seq)).toBeLessThan(BigInt(late_!.seq));
      expect(seqs.length).toBe(new Set(seqs).size);
    } finally {
      stream.close();
    }
  });

  it('filters by kind, tenant and text in the data, and resumes after Last-Event-ID', async () => {
    const marker = `needle-${randomUUID()}`;
    const stream = await openStream(`kind=UPDATE&text=${encodeURIComponent(marker.toUpperCase())}`);
    let lastId: string;
    try {
      const hit = `hit-${randomUUID()}`;
      const miss = `miss-${randomUUID()}`;
      await db.query('INSERT INTO tb_item (id, name) VALUES ($1, $2), ($3, $4)', [
        hit,
        'x',
        miss,
        'y',
      ]);
      await db.query('UPDATE tb_item SET name = $2 WHERE id = $1', [miss, 'plain']);
      await db.query('UPDATE tb_item SET name = $2 WHERE id = $1', [hit, `a ${marker} b`]);
      const events = await stream.until((ids) => ids.includes(hit));
      expect(events.map((event) => [event.entityId, event.eventType])).toEqual([[hit, 'UPDATE']]);
      lastId = stream.lastId();
    } finally {
      stream.close();
    }
    const later = `later-${randomUUID()}`;
    await db.query('INSERT INTO tb_item (id, name, tenant) VALUES ($1, $2, $3)', [
      later,
      marker,
      't1',
    ]);
    await db.query('UPDATE tb_item SET name = $2 WHERE id = $1', [later, `${marker}!`]);
    const resumed = await openStream(`kind=UPDATE&text=${marker}`, lastId);
    try {
      const events = await resumed.until((ids) => ids.includes(later));
      // Only what came after the resumed position: the earlier match is not sent again.
      expect(events.map((event) => event.entityId)).toEqual([later]);
    } finally {
      resumed.close();
    }
    const bad = await fetch(`${base}/console/api/events?kind=TRUNCATE`, { headers: auth() });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: expect.stringContaining('kind: expected one of') as unknown,
    });
  });

  it('reports events per second from the metrics counter', async () => {
    counter.values = [{ value: 1_000_000 }];
    let samples: { perSecond: number }[] = [];
    for (let i = 0; i < 100 && !samples.some((sample) => sample.perSecond > 0); i += 1) {
      const response = await fetch(`${base}/console/api/rates`, { headers: auth() });
      samples = ((await response.json()) as { samples: { perSecond: number }[] }).samples;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(samples.some((sample) => sample.perSecond > 0)).toBe(true);
  });

  it('rejects bad options with INVALID_ARGUMENT', () => {
    const authOnly = createAdminAuth({ tokens: [], allowedHosts: [] });
    let thrown: unknown;
    try {
      createConsoleHandler({ auth: authOnly, basePath: 'console' });
    } catch (error) {
      thrown = error;
    }
    expect(isConsoleError(thrown, 'INVALID_ARGUMENT')).toBe(true);
    expect((thrown as Error).message).toContain('basePath');
  });
});

interface StreamedEvent {
  readonly seq: string;
  readonly entityId: string;
  readonly eventType: string;
}

/** Reads the SSE endpoint with fetch, as the page does, collecting `change` events. */
async function openStream(query: string, lastEventId?: string) {
  const controller = new AbortController();
  const headers: Record<string, string> = { authorization: `Bearer ${OPERATOR}` };
  if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
  const response = await fetch(`${base}/console/api/events?${query}`, {
    headers,
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const events: StreamedEvent[] = [];
  let last = '';
  let reads = 0;
  const listeners = new Set<() => void>();
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith(': ')) reads += 1;
          const id = /^id: (.*)$/m.exec(block)?.[1];
          if (id !== undefined) last = id;
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (/^event: change$/m.test(block) && data !== undefined) {
            events.push(JSON.parse(data) as StreamedEvent);
          }
        }
        for (const listener of listeners) listener();
      }
    } catch {
      // aborted
    }
  })();
  const until = (done: (ids: string[]) => boolean): Promise<StreamedEvent[]> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (done(events.map((event) => event.entityId))) {
          listeners.delete(check);
          clearTimeout(timer);
          resolve([...events]);
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`stream did not deliver; got ${JSON.stringify(events)}`));
      }, 20_000);
      listeners.add(check);
      check();
    });
  return {
    ids: () => events.map((event) => event.entityId),
    lastId: () => last,
    until,
    /** Waits for `n` more heartbeats: each is written after an idle read of the change log. */
    waitForReads: (n: number) => {
      const target = reads + n;
      return new Promise<void>((resolve) => {
        const check = (): void => {
          if (reads >= target) {
            listeners.delete(check);
            resolve();
          }
        };
        listeners.add(check);
      });
    },
    close: () => {
      controller.abort();
    },
  };
}
