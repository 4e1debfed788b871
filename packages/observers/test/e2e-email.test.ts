import { freePort, requireService, waitFor } from '@fraiseql/testing';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  drained,
  openOrderDatabase,
  startObservers,
  type ObserverStack,
  type OrderDatabase,
} from './e2e-fixture.js';

const pg = await requireService('postgres');

interface Mail {
  readonly from: string;
  readonly to: string[];
  readonly raw: string;
}

describe.skipIf(pg === undefined)('end to end: UPDATE → email through a real SMTP server', () => {
  let database: OrderDatabase;
  let stack: ObserverStack;
  let smtp: SMTPServer;
  const mails: Mail[] = [];

  beforeAll(async () => {
    smtp = new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          mails.push({
            from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    const port = await freePort();
    await new Promise<void>((resolve) => {
      smtp.listen(port, '127.0.0.1', resolve);
    });
    database = await openOrderDatabase(pg!);
    stack = await startObservers(database.db, {
      yaml: `
observers:
  shipping_mail:
    entity: Order
    events: [UPDATE]
    condition: "field_changed_to(status, 'shipped') && has_field(data.email)"
    actions:
      - type: email
        smtp: { url: 'smtp://127.0.0.1:${String(port)}' }
        from: shop@example.com
        to: '{{ data.email }}'
        subject: 'Order {{ entityId }} is on its way'
        text: 'Your order {{ entityId }} ({{ data.total }} EUR) has shipped.'
        timeout: 5s
`,
    });
  });
  afterAll(async () => {
    await stack.close();
    await database.close();
    await new Promise<void>((resolve) => {
      smtp.close(resolve);
    });
  });

  it('delivers one rendered message per matching update to the SMTP server', async () => {
    const { db } = database;
    await db.query("INSERT INTO tb_order (id, total, email) VALUES ('m-1', 42, 'ann@example.com')");
    await db.query("UPDATE tb_order SET status = 'paid' WHERE id = 'm-1'");
    await db.query("UPDATE tb_order SET status = 'shipped' WHERE id = 'm-1'");
    const [mail] = await waitFor(() => mails.length > 0 && mails, {
      timeoutMs: 15_000,
      message: 'mail received',
    });
    await drained(stack.runtime);
    expect(mails).toHaveLength(1);
    expect(mail!.from).toBe('shop@example.com');
    expect(mail!.to).toEqual(['ann@example.com']);
    expect(mail!.raw).toMatch(/^Subject: Order m-1 is on its way$/m);
    expect(mail!.raw).toContain('Your order m-1 (42 EUR) has shipped.');
    expect(await stack.dlq.count()).toBe(0);
  });
});
