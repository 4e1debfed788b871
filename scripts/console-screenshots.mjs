// Takes the screenshots in docs/console/ of every console page: starts the reference server
// (embedded PostgreSQL, the demo writer, observers of which one fails into the dead-letter
// queue) and drives Debian's chromium with playwright-core. DATABASE_URL and REDIS_URL are used
// when set (Redis fills the Queues page).
//
//   pnpm build && node scripts/console-screenshots.mjs
import console from 'node:console';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { URL } from 'node:url';

const require = createRequire(new URL('../apps/server/package.json', import.meta.url));
const { chromium } = require('playwright-core');
const { pino } = require('pino');
const { startServer } = await import('../apps/server/dist/fraiseql-server.js');
const { loadServerSettings } = await import('../apps/server/dist/server-settings.js');
const ddlGen = await import(require.resolve('@fraiseql/ddl-gen'));

const out = new URL('../docs/console/', import.meta.url);
const token = 'operator-token-for-screenshots-0123456789';
const dir = await mkdtemp(join(tmpdir(), 'fraiseql-console-shots-'));
const receiver = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    // The shipping endpoint is down: its deliveries are dead-lettered.
    if (request.url === '/shipping') response.writeHead(503).end('maintenance');
    else response.writeHead(204).end();
  });
});
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const port = receiver.address().port;
await writeFile(
  join(dir, 'fraiseql.config.yaml'),
  `observers:
  order_created_crm:
    description: new orders to the CRM
    entity: Order
    events: [INSERT]
    actions:
      - type: webhook
        url: "http://127.0.0.1:${port}/crm"
        allowHosts: ["127.0.0.1"]
        async: ${process.env.REDIS_URL ? 'true' : 'false'}
  order_paid_shipping:
    description: paid orders to the shipping service
    entity: Order
    events: [UPDATE]
    condition: "changes.status.new == 'paid'"
    onFailure: dlq
    retry: { maxAttempts: 3, strategy: fixed, initialDelay: 50ms }
    actions:
      - { type: webhook, url: "http://127.0.0.1:${port}/shipping", allowHosts: ["127.0.0.1"] }
  customer_audit:
    description: customer changes to the audit log
    entity: Customer
    events: [INSERT, UPDATE, DELETE]
    actions:
      - { type: webhook, url: "http://127.0.0.1:${port}/audit", allowHosts: ["127.0.0.1"] }
`,
);
const server = await startServer(
  loadServerSettings(
    {
      ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
      ...(process.env.REDIS_URL
        ? {
            REDIS_URL: process.env.REDIS_URL,
            FRAISEQL_QUEUE_PREFIX: `fraiseql-shots-${process.pid}`,
          }
        : {}),
      FRAISEQL_DEMO: 'true',
      FRAISEQL_DEMO_INTERVAL: '400ms',
      FRAISEQL_HTTP_PORT: '0',
      FRAISEQL_ADMIN_TOKEN: token,
      FRAISEQL_DATA_DIR: join(dir, 'data'),
    },
    dir,
  ),
  pino({ level: 'silent' }),
);
const context = await chromium.launchPersistentContext(join(dir, 'browser'), {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 760 },
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
  ],
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  const shot = (name) => page.screenshot({ path: new URL(`${name}.png`, out).pathname });
  await page.goto(`${server.httpUrl}/console/`);
  await page.waitForSelector('form.login');
  await page.fill('input[name=token]', token);
  await shot('sign-in');
  await page.click('button[type=submit]');

  await page.locator('[data-testid=event-row]').nth(11).waitFor({ timeout: 60_000 });
  await page.locator('[data-testid=event-row] >> text=UPDATE').first().click();
  await page.locator('[data-testid=event-explanation] [data-testid=verdict-row]').first().waitFor();
  await page.waitForTimeout(3500); // the invocations of the opened event
  await shot('events');

  await server.observers.matcher.pause('customer_audit');
  await page.click('a[data-page=observers]');
  await page.locator('[data-testid=observer-state]:text("paused")').waitFor();
  await shot('observers');
  await server.observers.matcher.resume('customer_audit');

  await page.click('a[data-page=invocations]');
  await page.locator('[data-testid=invocation-row][data-outcome=failure]').first().click();
  await page.locator('[data-testid=invocation-detail]').waitFor();
  await shot('invocations');

  await page.click('a[data-page=dead-letters]');
  await page.locator('[data-testid=dlq-row]').first().waitFor({ timeout: 60_000 });
  await page.locator('[data-testid=dlq-row] button[data-action=detail]').first().click();
  await page.locator('[data-testid=dlq-detail]').waitFor();
  await shot('dead-letters');
  await page.locator('[data-testid=dlq-row] button[data-action=retry]').first().click();
  await page.waitForSelector('[role=dialog]');
  await shot('dead-letters-confirm');
  await page.click('[data-testid=confirm-no]');

  await page.click('a[data-page=queues]');
  await page.waitForTimeout(1000);
  await shot('queues');

  // A manually refreshed ta_ projection of the demo customers: new customers make it diverge.
  await server.db.exec(`CREATE OR REPLACE VIEW demo.v_customer AS
    SELECT id, jsonb_build_object('id', id, 'name', name, 'tier', tier) AS data FROM demo.tb_customer`);
  const plan = await ddlGen.planProjection(
    ddlGen.loadSchema({
      version: '2.0',
      types: [
        {
          name: 'Customer',
          fields: [
            { name: 'id', type: 'UUID', nullable: false },
            { name: 'name', type: 'String', nullable: false },
            { name: 'tier', type: 'String', nullable: false },
          ],
        },
      ],
      queries: [
        {
          name: 'customers',
          return_type: 'Customer',
          returns_list: true,
          sql_source: 'v_customer',
        },
      ],
    }),
    'Customer',
    { db: server.db, schema: 'demo' },
  );
  await server.db.exec(ddlGen.generateTaDdl(plan, { refresh: 'manual' }).sql);
  await server.db.exec(ddlGen.generateMonitoringDdl({ schema: 'demo' }).sql);
  await page.waitForTimeout(2000);
  await page.click('a[data-page=projections]');
  const projection = page.locator('[data-testid=projection-row]').first();
  await projection.locator('button[data-action=check]').click();
  await projection.locator('[data-testid=check-result]').waitFor();
  await shot('projections');

  await page.click('a[data-page=health]');
  // Two rate samples (5 s apart) make the first point of the chart.
  await page.locator('[data-testid=rate-latest]:not([data-peak="0"])').waitFor({ timeout: 60_000 });
  await page.waitForTimeout(30_000);
  await page.reload();
  await page.locator('[data-testid=rate-latest]').waitFor();
  await shot('health');
  console.log(`screenshots written to ${out.pathname}`);
} finally {
  await context.close();
  await server.close();
  receiver.close();
  await rm(dir, { recursive: true, force: true });
}
