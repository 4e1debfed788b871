import { freePort } from '@fraiseql/testing';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActionRegistry, type ActionRegistry } from '../src/actions/action-registry.js';
import type { EmailActionConfig } from '../src/config/action-config.js';
import { createTemplateRenderer } from '../src/templates/create-template-renderer.js';
import { actionContext, orderEvent, recordingLogger } from './actions-fixtures.js';

interface Received {
  readonly from: string;
  readonly to: string[];
  readonly user: string | undefined;
  readonly raw: string;
}

describe('email action against a real smtp-server on loopback', () => {
  let server: SMTPServer;
  let port = 0;
  let registry: ActionRegistry;
  const received: Received[] = [];

  beforeAll(async () => {
    server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      authOptional: true,
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === 'mailer' && auth.password === 's3cret')
          callback(null, { user: 'mailer' });
        else callback(Object.assign(new Error('bad credentials'), { responseCode: 535 }));
      },
      onRcptTo(address, _session, callback) {
        if (address.address.startsWith('bounce@')) {
          callback(Object.assign(new Error('no such user'), { responseCode: 550 }));
        } else if (address.address.startsWith('busy@')) {
          callback(Object.assign(new Error('mailbox busy, try later'), { responseCode: 451 }));
        } else {
          callback();
        }
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            user: session.user as string | undefined,
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    port = await freePort();
    await new Promise<void>((resolve) => {
      server.listen(port, '127.0.0.1', resolve);
    });
    registry = createActionRegistry({ templates: createTemplateRenderer() });
  });
  afterAll(async () => {
    await registry.close();
    await new Promise<void>((resolve) => {
      server.close(resolve);
    });
  });

  const email = (overrides: Partial<EmailActionConfig> = {}): EmailActionConfig => ({
    type: 'email',
    smtp: { host: '127.0.0.1', port, secure: false },
    from: 'shop@example.com',
    to: '{{ data.customer.email }}',
    subject: 'Order {{ entityId }} {{ changes.status.new }}',
    text: 'Hello, your order {{ entityId }} totalling {{ data.total }} is {{ data.status }}.',
    timeout: 5_000,
    ...overrides,
  });

  const header = (raw: string, name: string): string | undefined =>
    new RegExp(`^${name}: (.*)$`, 'im').exec(raw)?.[1]?.trim();

  it('sends a rendered message that the server receives', async () => {
    const event = orderEvent();
    const result = await registry.execute(
      email({
        cc: ['audit+{{ entityId }}@example.com'],
        html: '<p>Order <b>{{ entityId }}</b></p>',
      }),
      actionContext(event),
    );
    expect(result.summary).toBe(`smtp 127.0.0.1:${port} accepted 2 recipient(s)`);
    const got = received.at(-1)!;
    expect(got.from).toBe('shop@example.com');
    expect(got.to).toEqual(['ann@example.com', 'audit+ord_1@example.com']);
    expect(header(got.raw, 'From')).toBe('shop@example.com');
    expect(header(got.raw, 'To')).toBe('ann@example.com');
    expect(header(got.raw, 'Cc')).toBe('audit+ord_1@example.com');
    expect(header(got.raw, 'Subject')).toBe('Order ord_1 shipped');
    expect(header(got.raw, 'Message-ID')).toBe(`<${event.id}.order-shipped.0@fraiseql>`);
    expect(got.raw).toContain('Hello, your order ord_1 totalling 99.5 is shipped.');
    expect(got.raw).toContain('<p>Order <b>ord_1</b></p>');
  });

  it('sends ASCII bodies quoted-printable and any other body base64, a long one included', async () => {
    const ascii = orderEvent({ data: { id: 'ord_1', note: 'x'.repeat(200_000) } });
    await registry.execute(
      email({ to: 'ann@example.com', text: '{{ data.note }}' }),
      actionContext(ascii),
    );
    const plain = received.at(-1)!;
    expect(header(plain.raw, 'Content-Transfer-Encoding')).toBe('quoted-printable');
    expect(plain.raw.replace(/=\r\n/g, '')).toContain('x'.repeat(10_000));

    const accented = orderEvent({ data: { id: 'ord_1', note: 'Commande expédiée' } });
    await registry.execute(
      email({ to: 'ann@example.com', text: 'plain', html: '<p>{{ data.note }}</p>' }),
      actionContext(accented),
    );
    const other = received.at(-1)!;
    expect(other.raw).toMatch(/Content-Transfer-Encoding: base64/);
    expect(other.raw).not.toMatch(/Content-Transfer-Encoding: quoted-printable/);
    const encodedHtml = /Content-Type: text\/html[^]*?\r\n\r\n([A-Za-z0-9+/=\r\n]+)/.exec(
      other.raw,
    )?.[1];
    expect(Buffer.from(encodedHtml ?? '', 'base64').toString('utf8')).toBe(
      '<p>Commande expédiée</p>',
    );
  });

  it('authenticates with credentials from an smtp:// URL', async () => {
    await registry.execute(
      email({ smtp: { url: `smtp://mailer:s3cret@127.0.0.1:${port}` } }),
      actionContext(orderEvent()),
    );
    expect(received.at(-1)!.user).toBe('mailer');
    await expect(
      registry.execute(
        email({ smtp: { url: `smtp://mailer:wrong@127.0.0.1:${port}` } }),
        actionContext(orderEvent()),
      ),
    ).rejects.toMatchObject({ retryable: false, errorType: 'smtp' });
  });

  it('fails permanently when every recipient is rejected (5xx) and retryably on 4xx', async () => {
    const before = received.length;
    await expect(
      registry.execute(email({ to: 'bounce@example.com' }), actionContext(orderEvent())),
    ).rejects.toMatchObject({ code: 'ACTION_FAILED', retryable: false, errorType: 'smtp' });
    await expect(
      registry.execute(email({ to: 'busy@example.com' }), actionContext(orderEvent())),
    ).rejects.toMatchObject({ retryable: true, errorType: 'smtp' });
    expect(received.length).toBe(before);
  });

  it('succeeds for the accepted recipients when some are rejected, and logs no address', async () => {
    const logger = recordingLogger();
    const result = await registry.execute(
      email({ to: ['ann@example.com', 'bounce@example.com'] }),
      actionContext(orderEvent(), { logger }),
    );
    expect(result.details).toMatchObject({ accepted: 1, rejected: 1 });
    expect(received.at(-1)!.to).toEqual(['ann@example.com']);
    expect(logger.lines.some((line) => line.level === 'warn')).toBe(true);
    expect(JSON.stringify(logger.lines)).not.toContain('@example.com');
  });

  it('classifies a refused connection as a retryable network error', async () => {
    // A port nothing listens on.
    const closedPort = await freePort();
    await expect(
      registry.execute(
        email({ smtp: { host: '127.0.0.1', port: closedPort } }),
        actionContext(orderEvent()),
      ),
    ).rejects.toMatchObject({ retryable: true, errorType: 'network' });
  });
});
