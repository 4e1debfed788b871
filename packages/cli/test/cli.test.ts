import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  connectDatabase,
  coreMigrations,
  createChangeLogReader,
  migrate,
  type SqlClient,
} from '@fraiseql/core';
import {
  createChangeLogSource,
  createDeadLetterQueue,
  createInvocationLog,
  listChangeLogConsumers,
  ObserverError,
  observerMigrations,
  type ActionAttempt,
} from '@fraiseql/observers';
import {
  createTempDir,
  createTestDatabase,
  requireService,
  waitFor,
  type TempDir,
  type TestDatabase,
} from '@fraiseql/testing';
import { Registry, Counter } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const pg = await requireService('postgres');

describe.skipIf(pg === undefined)('fraiseql binary against PostgreSQL', () => {
  let database: TestDatabase;
  let db: SqlClient;
  let dir: TempDir;
  let receiver: Server;
  let receiverUrl: string;
  const received: string[] = [];
  let status = 204;
  const env = (): Record<string, string> => ({ DATABASE_URL: database.url });

  beforeAll(async () => {
    database = await createTestDatabase(pg);
    db = await connectDatabase({ url: database.url });
    dir = await createTempDir('fraiseql-cli');
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${String((receiver.address() as AddressInfo).port)}/hook`;
  });

  afterAll(async () => {
    await new Promise((resolve) => receiver.close(resolve));
    await db.close();
    await database.close();
    await dir.close();
  });

  it('exits 2 on a usage mistake and 1 with a helpful message when no database is set', async () => {
    const usage = await runCli(['dlq', 'list', '--no-such-flag']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Usage: fraiseql dlq list');
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    const missing = await runCli(['dlq', 'stats']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('DATABASE_URL');
    const down = await runCli(['dlq', 'stats'], {
      env: { DATABASE_URL: 'postgres://postgres:secret@127.0.0.1:1/nowhere' },
    });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(
      'cannot reach PostgreSQL at postgres://postgres:***@127.0.0.1:1/nowhere',
    );
    expect(down.stderr).not.toContain('secret');
  });

  it('init scaffolds a config that validate-config accepts, and migrate --dry-run then migrate apply it', async () => {
    const init = await runCli(['init'], { cwd: dir.path });
    expect(init.code).toBe(0);
    const valid = await runCli(['observers', 'validate-config', '--json'], { cwd: dir.path });
    expect(valid.code).toBe(0);
    expect(JSON.parse(valid.stdout)).toMatchObject({ valid: true, observers: ['order-shipped'] });
    expect((await runCli(['init'], { cwd: dir.path })).code).toBe(1);

    const dry = await runCli(['migrate', '--dry-run', '--json'], { cwd: dir.path, env: env() });
    expect(dry.code).toBe(0);
    const planned = JSON.parse(dry.stdout) as {
      namespaces: { namespace: string; pending: string[] }[];
    };
    expect(planned.namespaces.map((ns) => ns.namespace)).toEqual(['core', 'observers', 'app']);
    expect(planned.namespaces[2]?.pending).toEqual(['0001_example_order']);
    const before = await db.query(`SELECT to_regclass('public.tb_order') AS t`);
    expect(before.rows[0]).toEqual({ t: null });

    const applied = await runCli(['migrate', '--json'], { cwd: dir.path, env: env() });
    expect(applied.code).toBe(0);
    const after = await db.query<{ t: string | null }>(
      `SELECT to_regclass('public.tb_order')::text AS t`,
    );
    expect(after.rows[0]?.t).toBe('tb_order');
    const again = JSON.parse(
      (await runCli(['migrate', '--json'], { cwd: dir.path, env: env() })).stdout,
    ) as {
      namespaces: { applied: string[] }[];
    };
    expect(again.namespaces.every((ns) => ns.applied.length === 0)).toBe(true);
  });

  it('validate-config reports an invalid condition with its path and exits 1', async () => {
    const bad = join(dir.path, 'bad.yaml');
    await writeFile(
      bad,
      'observers:\n  x:\n    entity: Order\n    events: [INSERT]\n    condition: "data.total >"\n    actions:\n      - type: webhook\n        url: http://127.0.0.1:1/\n',
    );
    const result = await runCli(['observers', 'validate-config', '--config', bad]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('observers.x.condition');
  });

  it(
    'lists observers, explains a real change-log row, replays a range into a webhook and handles its dead letters',
    // Twenty-odd runs of the binary, each a fresh Node process.
    { timeout: 240_000 },
    async () => {
      const config = join(dir.path, 'hooks.yaml');
      await writeFile(
        config,
        [
          'observers:',
          '  big-order:',
          '    entity: Order',
          '    events: [INSERT]',
          '    condition: "data.total >= 100"',
          '    retry: { maxAttempts: 1 }',
          '    onFailure: dlq',
          '    actions:',
          '      - type: webhook',
          `        url: ${receiverUrl}`,
          '        allowHosts: ["127.0.0.1"]',
          '  user-created:',
          '    entity: User',
          '    events: [INSERT]',
          '    actions:',
          '      - type: webhook',
          `        url: ${receiverUrl}`,
          '        allowHosts: ["127.0.0.1"]',
          '',
        ].join('\n'),
      );
      const inserted = await db.query<{ seq: string; id: string }>(
        `INSERT INTO core.tb_entity_change_log (object_type, object_id, modification_type, object_data)
       VALUES ('Order', gen_random_uuid(), 'INSERT', '{"total": 250}'),
              ('Order', gen_random_uuid(), 'INSERT', '{"total": 5}'),
              ('User', gen_random_uuid(), 'INSERT', '{"name": "ada"}')
       RETURNING pk_entity_change_log::text AS seq, id::text AS id`,
      );
      const [big, small] = inserted.rows;
      const args = ['--config', config];

      const list = await runCli(['observers', 'list', '--json', ...args]);
      expect(list.code).toBe(0);
      expect((JSON.parse(list.stdout) as { name: string }[]).map((o) => o.name)).toEqual([
        'big-order',
        'user-created',
      ]);

      const debugBig = JSON.parse(
        (
          await runCli(['observers', 'debug-event', '--id', big?.seq ?? '', '--json', ...args], {
            env: env(),
          })
        ).stdout,
      ) as {
        event: unknown;
        matched: number;
        observers: {
          observer: string;
          matched: boolean;
          condition?: { clauses: { result: boolean; values: unknown[] }[] };
          actions: string[];
        }[];
      };
      expect(debugBig.matched).toBe(1);
      expect(debugBig.observers[0]).toMatchObject({
        observer: 'big-order',
        matched: true,
        actions: [`webhook ${receiverUrl}`],
      });
      expect(debugBig.observers[0]?.condition?.clauses[0]).toMatchObject({
        result: true,
        values: [250, 100],
      });
      const debugSmall = await runCli(
        ['observers', 'debug-event', '--id', small?.id ?? '', ...args],
        { env: env() },
      );
      expect(debugSmall.stdout).toContain('0 of 2 observer(s) match');
      expect(received).toEqual([]);

      // The same event from a JSON file gives the same verdict.
      const eventFile = join(dir.path, 'event.json');
      await writeFile(eventFile, JSON.stringify(debugBig.event));
      const fromFile = await runCli(['observers', 'debug-event', eventFile, ...args]);
      expect(fromFile.code).toBe(0);
      expect(fromFile.stdout).toContain('big-order: MATCH');
      expect(fromFile.stdout).toContain('would run: webhook');
      expect(
        (await runCli(['observers', 'debug-event', eventFile, '--id', '1', ...args])).code,
      ).toBe(2);

      const from = big?.seq ?? '';
      const to = inserted.rows[2]?.seq ?? '';
      const replay = await runCli(
        ['observers', 'replay', '--from', from, '--to', to, '--json', ...args],
        { env: env() },
      );
      expect(replay.code).toBe(0);
      expect(JSON.parse(replay.stdout)).toMatchObject({
        events: 3,
        dispatched: 2,
        failed: 0,
        deadLettered: 0,
      });
      expect(received).toHaveLength(2);

      // A permanent failure (HTTP 400) goes to the dead-letter queue.
      status = 400;
      const failing = await runCli(
        ['observers', 'replay', '--from', from, '--to', from, '--observer', 'big-order', ...args],
        { env: env() },
      );
      expect(failing.code).toBe(0);
      expect(failing.stderr).toContain(`[1/1] seq ${from}`);
      expect(failing.stdout).toContain('1 new dead letter(s)');
      const stats = JSON.parse(
        (await runCli(['dlq', 'stats', '--json'], { env: env() })).stdout,
      ) as {
        total: number;
        byObserver: Record<string, number>;
      };
      expect(stats).toMatchObject({ total: 1, byObserver: { 'big-order': 1 } });
      const letters = JSON.parse(
        (await runCli(['dlq', 'list', '--json'], { env: env() })).stdout,
      ) as { id: string; event: { id: string } }[];
      expect(letters[0]?.event.id).toBe(big?.id);
      const id = letters[0]?.id ?? '';
      const shown = await runCli(['dlq', 'show', id], { env: env() });
      expect(shown.stdout).toContain('observer: big-order');

      const retryFailed = await runCli(['dlq', 'retry', id, ...args], { env: env() });
      expect(retryFailed.code).toBe(1);
      status = 204;
      const retried = await runCli(['dlq', 'retry', id, '--json', ...args], { env: env() });
      expect(retried.code).toBe(0);
      expect(JSON.parse(retried.stdout)).toMatchObject({ status: 'succeeded' });
      expect((await runCli(['dlq', 'remove', id], { env: env() })).code).toBe(1);

      const deadLetter = async (): Promise<string> => {
        status = 400;
        const run = [
          'observers',
          'replay',
          '--from',
          from,
          '--to',
          from,
          '--observer',
          'big-order',
        ];
        expect((await runCli([...run, ...args], { env: env() })).code).toBe(0);
        const [item] = JSON.parse(
          (await runCli(['dlq', 'list', '--json'], { env: env() })).stdout,
        ) as {
          id: string;
        }[];
        return item?.id ?? '';
      };
      const removable = await deadLetter();
      expect((await runCli(['dlq', 'remove', removable], { env: env() })).code).toBe(0);
      expect((await runCli(['dlq', 'remove', removable], { env: env() })).code).toBe(1);

      await deadLetter();
      status = 204;
      const sent = received.length;
      const retryAll = await runCli(['dlq', 'retry-all', '--json', ...args], { env: env() });
      expect(retryAll.code).toBe(0);
      expect(JSON.parse(retryAll.stdout)).toMatchObject({ succeeded: 1, failed: 0 });
      expect(received.length).toBe(sent + 1);
      expect(
        JSON.parse((await runCli(['dlq', 'stats', '--json'], { env: env() })).stdout),
      ).toMatchObject({ total: 0 });
    },
  );

  it('dlq retry leaves a dead letter alone when the config does not define its observer', async () => {
    const dlq = createDeadLetterQueue(db);
    const letter = await dlq.add({
      event: {
        id: randomUUID(),
        seq: 1n,
        eventType: 'INSERT',
        entityType: 'Invoice',
        entityId: '42',
        data: { total: 3 },
        timestamp: new Date(),
      },
      observer: 'invoice-paid',
      actionIndex: 0,
      actionType: 'webhook',
      errorCode: 'HTTP_STATUS',
      errorType: 'http_500',
      errorMessage: 'HTTP 500',
      attempts: [],
    });
    const other = join(dir.path, 'other.yaml');
    await writeFile(
      other,
      'observers:\n  order-paid:\n    entity: Order\n    events: [INSERT]\n    actions:\n      - type: webhook\n        url: http://127.0.0.1:1/\n',
    );
    const retry = await runCli(['dlq', 'retry', letter.id, '--config', other], { env: env() });
    expect(retry.code).toBe(1);
    expect(retry.stderr).toContain(
      `dead letter ${letter.id} not retried: observer "invoice-paid" is not defined (defined: order-paid)`,
    );
    expect(retry.stderr).toContain('pass --config <file>');
    const retryAll = await runCli(['dlq', 'retry-all', '--json', '--config', other], {
      env: env(),
    });
    expect(retryAll.code).toBe(1);
    expect(JSON.parse(retryAll.stdout)).toMatchObject({ succeeded: 0, failed: 0, skipped: 1 });
    expect((await dlq.show(letter.id)).retryCount).toBe(0);
    await dlq.remove(letter.id);
  });

  it('observers status shows a change-log consumer caught up with the head', async () => {
    const source = createChangeLogSource(db, { consumer: 'cli-status', pollInterval: '50ms' });
    try {
      await source.start({
        onDelivery: (delivery) => delivery.settle({ status: 'done' }),
      });
      await waitFor(
        async () => {
          const [consumer] = await listChangeLogConsumers(db);
          return consumer?.unclaimed === 0 && consumer.inFlight === 0 ? consumer : undefined;
        },
        { message: 'consumer caught up' },
      );
    } finally {
      await source.close();
    }
    // A change-log reader (a loader such as the ClickHouse sink's) that read everything.
    const reader = createChangeLogReader(db, { reader: 'cli-loader' });
    await reader.acquire();
    await reader.commit((await reader.read()).end);
    await reader.close();
    const result = await runCli(['observers', 'status', '--json'], { env: env() });
    expect(result.code).toBe(0);
    const status = JSON.parse(result.stdout) as {
      headSeq: string;
      consumers: { consumer: string; cursorSeq: string; unclaimed: number; inFlight: number }[];
      readers: { reader: string; lastSeq: string; backlog: number; heldBy?: string }[];
    };
    expect(status.readers).toEqual([
      expect.objectContaining({ reader: 'cli-loader', lastSeq: status.headSeq, backlog: 0 }),
    ]);
    expect(status.readers[0]?.heldBy).toBeUndefined();
    expect(status.consumers).toEqual([
      expect.objectContaining({
        consumer: 'cli-status',
        cursorSeq: status.headSeq,
        unclaimed: 0,
        inFlight: 0,
      }),
    ]);
    const text = await runCli(['observers', 'status'], { env: env() });
    expect(text.stdout).toMatch(/cli-status\s+\d+\s+0\s+0/);
    expect(text.stdout).toMatch(new RegExp(`cli-loader\\s+${status.headSeq}\\s+0\\s+-`));
  });

  it('observers logs lists action attempts with filters, and --follow prints new ones as JSON lines', async () => {
    await migrate(db, { sets: [coreMigrations, observerMigrations] });
    const log = createInvocationLog(db);
    const attempt = (n: number, error?: ObserverError): ActionAttempt => ({
      event: {
        id: randomUUID(),
        seq: BigInt(n),
        eventType: 'INSERT',
        entityType: 'Order',
        entityId: `o-${String(n)}`,
        data: {},
        timestamp: new Date(),
      },
      observer: 'logs-hook',
      actionIndex: 0,
      actionType: 'webhook',
      attempt: 1,
      startedAt: Date.now(),
      durationMs: 3,
      ...(error === undefined
        ? { result: { summary: 'POST http://example.test/… 204' } }
        : { error }),
    });
    log.record(attempt(1));
    log.record(
      attempt(
        2,
        new ObserverError('ACTION_FAILED', 'answered HTTP 503', { errorType: 'http_5xx' }),
      ),
    );
    await log.flush();

    const all = await runCli(['observers', 'logs', '--observer', 'logs-hook', '--json'], {
      env: env(),
    });
    expect(all.code).toBe(0);
    const rows = JSON.parse(all.stdout) as { entityId: string; outcome: string }[];
    expect(rows.map((row) => [row.entityId, row.outcome])).toEqual([
      ['o-2', 'failure'],
      ['o-1', 'success'],
    ]);
    const failed = await runCli(['observers', 'logs', '--status', 'failure'], { env: env() });
    expect(failed.stdout).toContain('http_5xx: answered HTTP 503');
    expect(failed.stdout).not.toContain('o-1');
    expect((await runCli(['observers', 'logs', '--since', 'soon'], { env: env() })).code).toBe(2);

    const follow = spawn(
      process.execPath,
      [
        fileURLToPath(new URL('../dist/bin/fraiseql.js', import.meta.url)),
        ...['observers', 'logs', '--observer', 'logs-hook', '--follow', '--json'],
        ...['--limit', '1', '--interval', '100ms'],
      ],
      { env: { ...process.env, ...env(), NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<number | null>((resolve) => {
      follow.once('exit', (exitCode) => {
        resolve(exitCode);
      });
    });
    try {
      const lines = createInterface({ input: follow.stdout })[Symbol.asyncIterator]();
      const next = async (): Promise<{ entityId: string }> =>
        JSON.parse(String((await lines.next()).value)) as { entityId: string };
      expect((await next()).entityId).toBe('o-2');
      log.record(attempt(3));
      await log.flush();
      expect((await next()).entityId).toBe('o-3');
    } finally {
      follow.kill('SIGINT');
      await log.close();
    }
    expect(await exited).toBe(0);
  });

  it('prints the metrics of a real /metrics endpoint', async () => {
    const registry = new Registry();
    const counter = new Counter({
      name: 'fraiseql_observer_events_processed_total',
      help: 'events',
      registers: [registry],
    });
    counter.inc(7);
    const server = createServer((_req, res) => {
      void registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/metrics`;
    try {
      const table = await runCli(['metrics', url]);
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/fraiseql_observer_events_processed_total\s+counter\s+-?\s*7/);
      const json = JSON.parse((await runCli(['metrics', url, '--json'])).stdout) as {
        name: string;
        samples: { value: number }[];
      }[];
      expect(json[0]).toMatchObject({
        name: 'fraiseql_observer_events_processed_total',
        samples: [{ value: 7 }],
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    // A server that serves /metrics only with the admin token.
    const guarded = createServer((req, res) => {
      if (req.headers.authorization !== 'Bearer s3cret-token') {
        res.writeHead(401).end();
        return;
      }
      void registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text));
    });
    await new Promise<void>((resolve) => guarded.listen(0, '127.0.0.1', resolve));
    const guardedUrl = `http://127.0.0.1:${String((guarded.address() as AddressInfo).port)}/metrics`;
    try {
      const refused = await runCli(['metrics', guardedUrl]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('pass --token or set FRAISEQL_ADMIN_TOKEN');
      const wrong = await runCli(['metrics', guardedUrl, '--token', 'nope']);
      expect(wrong.stderr).toContain('refused the admin token');
      expect(wrong.stderr).not.toContain('nope');
      const flag = await runCli(['metrics', guardedUrl, '--token', 's3cret-token']);
      expect(flag.stdout).toMatch(/fraiseql_observer_events_processed_total\s+counter/);
      const fromEnv = await runCli(['metrics', guardedUrl], {
        env: { FRAISEQL_ADMIN_TOKEN: 's3cret-token' },
      });
      expect(fromEnv.code).toBe(0);
    } finally {
      await new Promise((resolve) => guarded.close(resolve));
    }
    const down = await runCli(['metrics', 'http://127.0.0.1:1/metrics']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('cannot scrape http://127.0.0.1:1/metrics');
  });
});
