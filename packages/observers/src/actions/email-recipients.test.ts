import type { EntityEvent, JsonObject } from '@fraiseql/core';
import { silentLogger } from '@fraiseql/core';
import { describe, expect, it } from 'vitest';

import { isObserverError } from '../errors.js';
import { createTemplateRenderer } from '../templates/create-template-renderer.js';
import { createEmailAction } from './email-action.js';
import { MAX_ADDRESS_LIST_TEXT, MAX_ADDRESS_TEXT, renderRecipients } from './email-recipients.js';

const templates = createTemplateRenderer();
const event = (data: JsonObject): EntityEvent => ({
  id: '00000000-0000-4000-8000-000000000009',
  seq: 1n,
  eventType: 'INSERT',
  entityType: 'User',
  entityId: '9',
  data,
  timestamp: new Date(0),
});

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(isObserverError(error, 'TEMPLATE_ERROR')).toBe(true);
    expect((error as { errorType: string }).errorType).toBe('recipient');
    expect((error as { retryable: boolean }).retryable).toBe(false);
    return (error as Error).message;
  }
  throw new Error('expected the recipients to be refused');
}

describe('renderRecipients: one address per template slot', () => {
  it('accepts one address, a local part under a fixed domain, and a quoted display name', () => {
    const e = event({ email: 'ann@example.test', user: 'ann.b+tag', name: 'Ann "A, B" <x>' });
    expect(renderRecipients('to', '{{ data.email }}', templates, e)).toEqual(['ann@example.test']);
    expect(renderRecipients('to', ['{{ data.user }}@example.test'], templates, e)).toEqual([
      'ann.b+tag@example.test',
    ]);
    expect(renderRecipients('to', '"{{ data.name }}" <{{ data.email }}>', templates, e)).toEqual([
      '"Ann \\"A, B\\" <x>" <ann@example.test>',
    ]);
  });

  it('refuses values that would add or redirect recipients, naming the slot only', () => {
    for (const email of [
      'victim@example.test, attacker@evil.test',
      'victim@example.test <attacker@evil.test>',
      'victim@example.test;attacker@evil.test',
      'Undisclosed:attacker@evil.test;',
      'victim@example.test\r\nBcc: attacker@evil.test',
      'not an address',
    ]) {
      const message = refusal(() =>
        renderRecipients('to', ['a@example.test', '{{ data.email }}'], templates, event({ email })),
      );
      expect(message).toMatch(/^email\.to\[1\]: /);
      expect(message).not.toContain('attacker');
    }
    expect(
      refusal(() =>
        renderRecipients(
          'cc',
          'x@example.test, {{ data.email }}',
          templates,
          event({ email: 'y@example.test' }),
        ),
      ),
    ).toBe('email.cc: rendered to 2 addresses where one is allowed (use { list: … } for a list)');
  });

  it('refuses text longer than an address (or a list item) can be without parsing it', () => {
    // The parser's time grows faster than its input: a megabyte would stall the process for
    // minutes. Refused at once, naming only the slot and the length.
    const huge = `${'x'.repeat(1_000_000)}@example.test`;
    expect(
      refusal(() => renderRecipients('to', '{{ data.email }}', templates, event({ email: huge }))),
    ).toMatch(/^email\.to: rendered to 1000013 characters, more than an address can hold \(998\)$/);
    const long = `${'a'.repeat(MAX_ADDRESS_TEXT)}@example.test`;
    expect(
      refusal(() => renderRecipients('to', '{{ data.email }}', templates, event({ email: long }))),
    ).toContain('more than an address can hold');
    const list = Array.from({ length: 2_000 }, (_, i) => `u${String(i)}@example.test`).join(', ');
    expect(list.length).toBeGreaterThan(MAX_ADDRESS_LIST_TEXT);
    expect(
      refusal(() =>
        renderRecipients('to', { list: '{{ data.csv }}' }, templates, event({ csv: list })),
      ),
    ).toContain(`longer than ${String(MAX_ADDRESS_LIST_TEXT)}`);
  });

  it('lets an explicit list slot give several addresses', () => {
    const e = event({
      watchers: ['a@example.test', 'b@example.test'],
      csv: 'c@example.test, d@example.test',
    });
    expect(
      renderRecipients(
        'to',
        [{ list: '{{ data.watchers }}' }, { list: '{{ data.csv }}' }],
        templates,
        e,
      ),
    ).toEqual(['a@example.test', 'b@example.test', 'c@example.test', 'd@example.test']);
    expect(
      refusal(() =>
        renderRecipients(
          'to',
          { list: '{{ data.watchers }}' },
          templates,
          event({ watchers: [1] }),
        ),
      ),
    ).toBe('email.to: a list item is not text');
  });

  it('stops the email action before any SMTP connection', async () => {
    let connections = 0;
    const action = createEmailAction({
      templates,
      transport: () => {
        connections += 1;
        throw new Error('no SMTP in this test');
      },
    });
    await expect(
      action.execute(
        {
          type: 'email',
          smtp: { host: '127.0.0.1', port: 2525 },
          from: 'shop@example.test',
          to: '{{ data.email }}',
          subject: 'Hi',
          text: 'Hello',
          timeout: 1_000,
        },
        {
          event: event({ email: 'victim@example.test, attacker@evil.test' }),
          observer: 'welcome',
          actionIndex: 0,
          attempt: 1,
          signal: new AbortController().signal,
          logger: silentLogger,
        },
      ),
    ).rejects.toThrow(/^email\.to: a value holds address syntax/);
    expect(connections).toBe(0);
  });
});
