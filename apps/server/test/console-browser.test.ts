import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { installCapture } from '@fraiseql/core';
import {
  generateMonitoringDdl,
  generateTaDdl,
  loadSchema,
  planProjection,
} from '@fraiseql/ddl-gen';
import {
  createRedisPrefix,
  createTestDatabase,
  requireService,
  type TestDatabase,
} from '@fraiseql/testing';
import { pino } from 'pino';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type FraiseQLServer } from '../src/fraiseql-server.js';
import { loadServerSettings } from '../src/server-settings.js';

// The console in a real browser (Debian's chromium driven by playwright-core) against the
// reference server on a real PostgreSQL.

const OPERATOR = 'operator-token-console-0123456789';
const READ_ONLY = 'read-only-token-console-0123456789';
const CHROMIUM = '/usr/bin/chromium';

const postgres = await requireService('postgres');
const redis = await requireService('redis');
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  if (process.env.CI === 'true') {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)`);
  }
  console.warn(
    `skipping the console browser tests: ${CHROMIUM} is missing (apt-get install chromium)`,
  );
}

let dir: string;
let database: TestDatabase;
let prefix: Awaited<ReturnType<typeof createRedisPrefix>>;
let server: FraiseQLServer;
let receiver: Server;
let failing = true;
const received: unknown[] = [];
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];
const cleanups: (() => Promise<void>)[] = [];

describe.skipIf(postgres === undefined || redis === undefined || !hasChromium)(
  'console in a browser',
  () => {
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'fraiseql-console-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      receiver = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          if (failing) {
            response.writeHead(400).end('not yet');
            return;
          }
          received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          response.writeHead(204).end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      cleanups.push(
        () =>
          new Promise<void>((resolve) => {
            receiver.close(() => {
              resolve();
            });
          }),
      );
      const port = (receiver.address() as AddressInfo).port;
      await writeFile(
        join(dir, 'fraiseql.config.yaml'),
        `observers:
  widget_hook:
    entity: Widget
    events: [INSERT]
    onFailure: dlq
    retry: { maxAttempts: 1 }
    actions:
      - type: webhook
        url: http://127.0.0.1:${port}/widgets
        allowHosts: ["127.0.0.1"]
        body: { name: "{{ data.name }}" }
  widget_audit:
    entity: Widget
    events: [UPDATE]
    actions:
      - type: webhook
        url: http://127.0.0.1:${port}/audit
        allowHosts: ["127.0.0.1"]
`,
      );
      database = await createTestDatabase(postgres);
      cleanups.push(() => database.close());
      prefix = await createRedisPrefix();
      cleanups.push(() => prefix.close());
      server = await startServer(
        loadServerSettings(
          {
            DATABASE_URL: database.url,
            REDIS_URL: redis!.url,
            FRAISEQL_QUEUE_PREFIX: prefix.prefix.slice(0, -1),
            FRAISEQL_DEMO: 'false',
            FRAISEQL_HTTP_PORT: '0',
            FRAISEQL_FLIGHT_PORT: '0',
            FRAISEQL_ADMIN_TOKEN: OPERATOR,
            FRAISEQL_ADMIN_READONLY_TOKEN: READ_ONLY,
            FRAISEQL_DATA_DIR: join(dir, 'data'),
          },
          dir,
        ),
        pino({ level: 'silent' }),
      );
      await server.db.exec(
        'CREATE SCHEMA IF NOT EXISTS app; CREATE TABLE app.tb_widget (id uuid PRIMARY KEY, name text NOT NULL)',
      );
      await installCapture(server.db, {
        table: 'app.tb_widget',
        entityType: 'Widget',
        idColumn: 'id',
      });
      context = await chromium.launchPersistentContext(join(dir, 'browser'), {
        executablePath: CHROMIUM,
        headless: true,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--no-first-run',
        ],
      });
      cleanups.push(() => context.close());
      page = context.pages()[0] ?? (await context.newPage());
      page.on('pageerror', (error) => pageErrors.push(error.message));
      page.on('console', (message) => {
        // Refused requests (the 401 and 403 the tests provoke) are logged by the browser too.
        if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
          pageErrors.push(message.text());
        }
      });
    }, 120_000);

    afterAll(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    afterEach(() => {
      failing = true;
      // A page that threw (a render error) fails the test that caused it.
      expect(pageErrors.splice(0)).toEqual([]);
    });

    async function insertWidget(name: string): Promise<string> {
      const id = randomUUID();
      await server.db.query('INSERT INTO app.tb_widget (id, name) VALUES ($1, $2)', [id, name]);
      return id;
    }

    async function signIn(token: string): Promise<void> {
      await page.goto(`${server.httpUrl}/console/`);
      // Wait until a stored token was checked (signing in stores it again), then drop it.
      await page.waitForSelector('.shell header, form.login');
      await page.evaluate(() => {
        sessionStorage.clear();
      });
      await page.reload();
      await page.fill('input[name=token]', token);
      await page.click('button[type=submit]');
      await page.waitForSelector('.shell header');
    }

    async function status(
      path: string,
      init: { method?: string; token?: string } = {},
    ): Promise<number> {
      return page.evaluate(
        async ({ path, method, token }) => {
          const headers: Record<string, string> = {};
          if (token !== undefined) headers.authorization = `Bearer ${token}`;
          return (await fetch(path, { method, headers })).status;
        },
        { path, method: init.method ?? 'GET', token: init.token },
      );
    }

    it('without a token shows only the sign-in form, and the console API, the live stream and the admin API answer 401', async () => {
      await page.goto(`${server.httpUrl}/console`);
      await page.waitForSelector('form.login input[name=token]');
      expect(await page.locator('.shell').count()).toBe(0);
      expect(await status('/console/api/session')).toBe(401);
      expect(await status('/console/api/events')).toBe(401);
      expect(await status('/console/api/rates')).toBe(401);
      expect(await status('/admin/observers')).toBe(401);
      expect(await status('/admin/observers/widget_audit/pause', { method: 'POST' })).toBe(401);
      await page.fill('input[name=token]', 'wrong-token-0123456789abcdef');
      await page.click('button[type=submit]');
      await page.waitForSelector('form.login [role=alert]');
      expect(await page.locator('.shell').count()).toBe(0);
    });

    it('shows an INSERT into a captured table on the Events page, with its JSON', async () => {
      await signIn(OPERATOR);
      await page.waitForSelector('[data-testid=stream-status]:text("live")');
      const name = `widget-${randomUUID()}`;
      const id = await insertWidget(name);
      const row = page.locator(`[data-testid=event-row][data-entity-id="${id}"]`);
      await row.waitFor();
      await row.click();
      const json = await page.locator('[data-testid=event-json]').textContent();
      expect(JSON.parse(json ?? '{}')).toMatchObject({
        eventType: 'INSERT',
        entityType: 'Widget',
        entityId: id,
        data: { name },
      });
      // The observers it matched and why, and its invocations once they are written.
      const explanation = page.locator('[data-testid=event-explanation]');
      await explanation
        .locator('[data-testid=verdict-row][data-observer=widget_hook][data-matched=true]')
        .waitFor();
      await explanation
        .locator('[data-testid=verdict-row][data-observer=widget_audit][data-matched=false]')
        .waitFor();
      await explanation
        .locator('[data-testid=invocation-row][data-observer=widget_hook]')
        .first()
        .waitFor({ timeout: 15_000 });
      // A text filter narrows the stream to matching events only.
      const other = await insertWidget(`other-${randomUUID()}`);
      await page.locator(`[data-testid=event-row][data-entity-id="${other}"]`).waitFor();
      await page.fill('input[name=text]', name);
      await page.click('form.filters button[type=submit]');
      // The filtered stream starts over: the other event leaves the list, the match comes back.
      await page
        .locator(`[data-testid=event-row][data-entity-id="${other}"]`)
        .waitFor({ state: 'detached' });
      await page.locator(`[data-testid=event-row][data-entity-id="${id}"]`).waitFor();
      await page.waitForSelector('[data-testid=stream-status]:text("live")');
      expect(await page.locator('[data-testid=event-row]').count()).toBe(1);
    });

    it("retries a failing observer's dead letter from the page once the endpoint is fixed", async () => {
      await signIn(OPERATOR);
      const name = `dead-${randomUUID()}`;
      const id = await insertWidget(name);
      await page.click('a[data-page=dead-letters]');
      const row = page.locator(`[data-testid=dlq-row][data-observer=widget_hook]`, {
        hasText: id,
      });
      await row.waitFor({ timeout: 30_000 });
      await row.locator('button[data-action=detail]').click();
      await page.locator('[data-testid=dlq-detail] [data-testid=attempt-row]').first().waitFor();
      expect(await page.locator('[data-testid=dlq-detail]').textContent()).toContain('400');

      failing = false;
      await row.locator('button[data-action=retry]').click();
      // Nothing happens before the confirmation.
      await page.waitForSelector('[role=dialog]');
      expect(received).toHaveLength(0);
      await page.click('[data-testid=confirm-yes]');
      await page.waitForSelector('[data-testid=dlq-message]');
      expect(await page.locator('[data-testid=dlq-message]').textContent()).toContain('delivered');
      await row.waitFor({ state: 'detached' });
      expect(received).toEqual([{ name }]);

      // The invocation log shows both attempts: the failed delivery and the retry, with who asked.
      await page.click('a[data-page=invocations]');
      await page.fill('input[name=observer]', 'widget_hook');
      await page.click('form.filters button[type=submit]');
      const attempts = page.locator('[data-testid=invocation-row]', { hasText: id });
      await attempts.nth(1).waitFor();
      expect(
        await attempts.evaluateAll((rows) =>
          rows.map((r) => [r.getAttribute('data-outcome'), r.getAttribute('data-trigger')]),
        ),
      ).toEqual([
        ['success', 'dlq-retry'],
        ['failure', 'delivery'],
      ]);
      expect(await attempts.first().textContent()).toContain('dlq-retry by operator');
      await attempts.nth(1).click();
      const detail = page.locator('[data-testid=invocation-detail]');
      await detail.waitFor();
      expect(await detail.textContent()).toContain('HTTP 400');
      expect(await detail.locator('[data-testid=invocation-body]').textContent()).toBe('not yet');

      // Redeliver the event to the observer from the page: logged as a redelivery.
      await attempts.first().locator('button[data-action=redeliver]').click();
      await page.click('[data-testid=confirm-yes]');
      await page.waitForSelector('[data-testid=invocations-message]:has-text("redelivered")');
      expect(received).toEqual([{ name }, { name }]);
      await page
        .locator('[data-testid=invocation-row][data-trigger=redelivery]', { hasText: id })
        .waitFor();
      failing = true;
    });

    it('removes one dead letter and retries all of an observer from the page, each after a confirmation', async () => {
      await signIn(OPERATOR);
      // Earlier tests left dead letters of their own; this one counts only its own.
      await server.observers.dlq.removeAll({});
      received.length = 0;
      const names = [`a-${randomUUID()}`, `b-${randomUUID()}`, `c-${randomUUID()}`];
      const ids = [];
      for (const name of names) ids.push(await insertWidget(name));
      await page.click('a[data-page=dead-letters]');
      await page.fill('input[name=observer]', 'widget_hook');
      await page.click('form.filters button[type=submit]');
      const rowOf = (id: string) =>
        page.locator('[data-testid=dlq-row][data-observer=widget_hook]', { hasText: id });
      for (const id of ids) await rowOf(id).waitFor({ timeout: 30_000 });

      await rowOf(ids[0]!).locator('button[data-action=remove]').click();
      await page.click('[data-testid=confirm-yes]');
      await rowOf(ids[0]!).waitFor({ state: 'detached' });

      failing = false;
      await page.click('button[data-action=retry-all]');
      await page.click('[data-testid=confirm-yes]');
      await page.waitForSelector('[data-testid=dlq-message]:has-text("retry all")');
      expect(await page.locator('[data-testid=dlq-message]').textContent()).toContain(
        '2 delivered, 0 failed again',
      );
      await page.waitForSelector('[data-testid=dlq-empty]');
      expect(received).toHaveLength(2);
      expect(received).toEqual(expect.arrayContaining([{ name: names[1] }, { name: names[2] }]));
      failing = true;
    });

    it('pauses and resumes an observer from the Observers page', async () => {
      await signIn(OPERATOR);
      await page.click('a[data-page=observers]');
      const row = page.locator('[data-testid=observer-row][data-observer=widget_audit]');
      await row.locator('[data-testid=observer-state]:text("running")').waitFor();
      await row.locator('button[data-action=pause]').click();
      await page.click('[data-testid=confirm-no]');
      expect(server.observers.matcher.state('widget_audit')).toBe('running');
      await row.locator('button[data-action=pause]').click();
      await page.click('[data-testid=confirm-yes]');
      await row.locator('[data-testid=observer-state]:text("paused")').waitFor();
      expect(server.observers.matcher.state('widget_audit')).toBe('paused');
      await row.locator('button[data-action=resume]').click();
      await page.click('[data-testid=confirm-yes]');
      await row.locator('[data-testid=observer-state]:text("running")').waitFor();
      expect(server.observers.matcher.state('widget_audit')).toBe('running');
    });

    it('with a read-only token shows everything, disables every change, and the API refuses changes with 403', async () => {
      await insertWidget(`read-only-${randomUUID()}`);
      await signIn(READ_ONLY);
      await page.waitForSelector('[data-testid=read-only-notice]');
      await page.locator('[data-testid=event-row]').first().waitFor();

      await page.click('a[data-page=observers]');
      await page.locator('[data-testid=observer-row]').first().waitFor();
      const observerButtons = page.locator('[data-testid=observer-row] button[data-action]');
      expect(await observerButtons.count()).toBeGreaterThan(0);
      for (const button of await observerButtons.all())
        expect(await button.isDisabled()).toBe(true);

      await page.click('a[data-page=dead-letters]');
      await page.locator('[data-testid=dlq-row]').first().waitFor({ timeout: 30_000 });
      for (const action of ['retry', 'remove', 'retry-all']) {
        const buttons = await page.locator(`button[data-action=${action}]`).all();
        expect(buttons.length).toBeGreaterThan(0);
        for (const button of buttons) expect(await button.isDisabled()).toBe(true);
      }
      // The detail stays readable.
      await page.locator('[data-testid=dlq-row] button[data-action=detail]').first().click();
      await page.locator('[data-testid=dlq-detail]').waitFor();

      const dead = await page.locator('[data-testid=dlq-row]').first().getAttribute('data-id');

      // Invocations are readable, redelivery is not offered.
      await page.click('a[data-page=invocations]');
      await page.locator('[data-testid=invocation-row]').first().waitFor();
      const redeliver = await page.locator('button[data-action=redeliver]').all();
      expect(redeliver.length).toBeGreaterThan(0);
      for (const button of redeliver) expect(await button.isDisabled()).toBe(true);
      const logged = page.locator('[data-testid=invocation-row]').first();
      const redeliverPath = `/admin/observers/${(await logged.getAttribute('data-observer')) ?? ''}/redeliver/${(await logged.getAttribute('data-event')) ?? ''}`;

      // Going around the page: the server's guard refuses.
      const token = READ_ONLY;
      expect(await status('/admin/observers/widget_audit/pause', { method: 'POST', token })).toBe(
        403,
      );
      expect(await status(`/admin/dlq/${dead ?? ''}/retry`, { method: 'POST', token })).toBe(403);
      expect(await status(`/admin/dlq/${dead ?? ''}`, { method: 'DELETE', token })).toBe(403);
      expect(await status('/admin/dlq/retry-all', { method: 'POST', token })).toBe(403);
      expect(await status(redeliverPath, { method: 'POST', token })).toBe(403);
      expect(await status('/admin/invocations', { token })).toBe(200);
      expect(server.observers.matcher.state('widget_audit')).toBe('running');
      expect(await status(`/admin/dlq/${dead ?? ''}`, { token })).toBe(200);
    });

    it('shows each source and connection with its state, and the event rate, on the Health page', async () => {
      await signIn(OPERATOR);
      await page.click('a[data-page=health]');
      await page.locator('[data-testid=service-row]').first().waitFor();
      const health = (await (await fetch(`${server.httpUrl}/health`)).json()) as {
        services: { name: string; state: string }[];
        sources: { kind: string }[];
      };
      expect(health.services.length).toBeGreaterThan(0);
      const services = await page
        .locator('[data-testid=service-row]')
        .evaluateAll((rows) =>
          rows.map((row) => [
            row.getAttribute('data-service'),
            row.querySelector('.state')?.textContent,
          ]),
        );
      expect(services).toEqual(health.services.map((service) => [service.name, service.state]));
      const sources = await page
        .locator('[data-testid=source-row]')
        .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-source')));
      expect(sources).toEqual(health.sources.map((source) => source.kind));
      // The widgets inserted above were processed: the rate read from the registry shows them.
      await page.locator('[data-testid=rate-latest]:not([data-peak="0"])').waitFor();
      // The capture lag, sampled from the same registry, is charted beside it.
      await page.locator('[data-testid=lag-chart] polyline').waitFor({ state: 'attached' });
      // The sampler and the page each refresh every 5 s: a lag reading can take both to show.
      await expect
        .poll(() => page.locator('[data-testid=lag-latest]').textContent(), { timeout: 30_000 })
        .toMatch(/now \d+\.\d\d/);
    });

    it('shows the job queue counts on the Queues page', async () => {
      await signIn(OPERATOR);
      await page.click('a[data-page=queues]');
      await page.locator('[data-testid=queue-row]').first().waitFor();
      const stats = (await (
        await fetch(`${server.httpUrl}/admin/queue/stats`, {
          headers: { authorization: `Bearer ${OPERATOR}` },
        })
      ).json()) as { queues: { queue: string }[] };
      const names = await page.locator('[data-testid=queue-row] td:first-child').allTextContents();
      expect(names).toEqual(stats.queues.map((queue) => queue.queue));
    });

    it('shows the Projections page, and a read-only token runs the divergence check', async () => {
      await signIn(READ_ONLY);
      await page.click('a[data-page=projections]');
      await page.locator('[data-testid=projections-none]').waitFor();

      // A manually refreshed ta_ projection of the widgets, then one widget it has not seen.
      await server.db.exec(
        `CREATE VIEW app.v_widget AS SELECT id, jsonb_build_object('id', id, 'name', name) AS data FROM app.tb_widget`,
      );
      const schema = loadSchema({
        version: '2.0',
        types: [
          {
            name: 'Widget',
            fields: [
              { name: 'id', type: 'UUID', nullable: false },
              { name: 'name', type: 'String', nullable: false },
            ],
          },
        ],
        queries: [
          { name: 'widgets', return_type: 'Widget', returns_list: true, sql_source: 'v_widget' },
        ],
      });
      const plan = await planProjection(schema, 'Widget', { db: server.db, schema: 'app' });
      await server.db.exec(generateTaDdl(plan, { refresh: 'manual' }).sql);
      await server.db.exec(generateMonitoringDdl({ schema: 'app' }).sql);
      const unseen = await insertWidget(`unseen-${randomUUID()}`);

      await page.click('a[data-page=queues]');
      await page.click('a[data-page=projections]');
      const row = page.locator('[data-testid=projection-row][data-projection="app.ta_widget"]');
      await row.waitFor();
      await row.locator('button[data-action=check]').click();
      const result = row.locator('[data-testid=check-result]');
      await result.waitFor();
      expect(await result.getAttribute('data-in-sync')).toBe('false');
      const text = (await result.textContent()) ?? '';
      expect(text).toContain('1 missing, 0 extra, 0 different');
      expect(text).toContain(unseen);
    });
  },
);
