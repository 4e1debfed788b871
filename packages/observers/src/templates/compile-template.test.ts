import type { EntityEvent } from '@fraiseql/core';
import { describe, expect, it } from 'vitest';

import { escapeGlob } from '../actions/escape-glob.js';
import { isObserverError } from '../errors.js';
import { compileJsonTemplate } from './compile-json-template.js';
import { compileTemplate, MAX_TEMPLATE_LENGTH } from './compile-template.js';
import { createTemplateRenderer } from './create-template-renderer.js';
import { templateScope } from './template-scope.js';

const event: EntityEvent = {
  id: '0b7c2d34-5e6f-4a1b-8c9d-0e1f2a3b4c5d',
  seq: 9_007_199_254_740_993n,
  eventType: 'UPDATE',
  entityType: 'Order',
  entityId: 'o-1',
  data: {
    total: 12.5,
    paid: true,
    note: null,
    customer: { email: 'a@b.c', name: 'Ann*' },
    items: [{ sku: 'x' }],
  },
  changes: { status: { old: 'paid', new: 'shipped' } },
  timestamp: new Date('2026-03-04T05:06:07.000Z'),
};
const scope = templateScope(event);

function templateError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(isObserverError(error, 'TEMPLATE_ERROR')).toBe(true);
    expect((error as { retryable: boolean }).retryable).toBe(false);
    return (error as Error).message;
  }
  throw new Error('expected a TEMPLATE_ERROR');
}

describe('compileTemplate', () => {
  it('fills paths from the event and its parts, stringifying values', () => {
    const template = compileTemplate(
      '{{ entityType }} {{entityId}} #{{ seq }} at {{ timestamp }}: {{ changes.status.new }}, {{ data.total }} {{ data.paid }} [{{ data.note }}] {{ data.items }} {{ event.data.items.0.sku }}',
    );
    expect(template.render(scope)).toBe(
      'Order o-1 #9007199254740993 at 2026-03-04T05:06:07.000Z: shipped, 12.5 true [] [{"sku":"x"}] x',
    );
    expect(template.paths).toContain('changes.status.new');
  });

  it('applies default, json and urlencode filters and keeps escaped braces', () => {
    expect(
      compileTemplate(
        "{{ data.customer.phone | default('none') }} {{ data.note | default(0) }} {{ data.customer.name | json }} {{ data.customer.email | urlencode }} \\{{ x }}",
      ).render(scope),
    ).toBe('none 0 "Ann*" a%40b.c {{ x }}');
  });

  it('escapes substituted values only', () => {
    expect(
      compileTemplate('cache:*:{{ data.customer.name }}').render(scope, { escape: escapeGlob }),
    ).toBe('cache:*:Ann\\*');
  });

  it('fails permanently on a missing path, naming it', () => {
    expect(templateError(() => compileTemplate('Hi {{ data.customer.phone }}').render(scope))).toBe(
      "template path 'data.customer.phone' is missing from the event (write {{ data.customer.phone | default('') }} to allow that)",
    );
  });

  it('rejects malformed templates when compiled', () => {
    expect(templateError(() => compileTemplate('x {{ data.a '))).toBe("unclosed '{{' at column 3");
    expect(templateError(() => compileTemplate('{{ row.a }}'))).toMatch(
      /^unknown template root 'row' at column 1/,
    );
    expect(templateError(() => compileTemplate('{{ data..a }}'))).toMatch(/expected a dotted path/);
    expect(templateError(() => compileTemplate('{{ data.a | upper }}'))).toMatch(
      /unknown filter 'upper'/,
    );
  });
});

describe('compileJsonTemplate', () => {
  it('keeps JSON types for whole-string placeholders and renders text elsewhere', () => {
    const body = compileJsonTemplate({
      total: '{{ data.total }}',
      paid: '{{data.paid}}',
      customer: '{{ data.customer }}',
      note: '{{ data.note }}',
      label: 'order {{ entityId }}: {{ data.total }}',
      nested: [{ sku: '{{ data.items.0.sku }}', qty: 3 }, null, true],
      '{{ keys }}': 'stay',
    });
    expect(body.render(scope)).toEqual({
      total: 12.5,
      paid: true,
      customer: { email: 'a@b.c', name: 'Ann*' },
      note: null,
      label: 'order o-1: 12.5',
      nested: [{ sku: 'x', qty: 3 }, null, true],
      '{{ keys }}': 'stay',
    });
  });

  it('reports the first missing path', () => {
    expect(
      templateError(() => compileJsonTemplate({ a: ['{{ before.status }}'] }).render(scope)),
    ).toMatch(/^template path 'before.status' is missing/);
  });
});

describe('createTemplateRenderer', () => {
  it('implements the action template renderer with compiled-once templates', () => {
    const renderer = createTemplateRenderer();
    const body = { id: '{{ id }}', seq: '{{ seq }}' };
    expect(renderer.json(body, event)).toEqual({ id: event.id, seq: '9007199254740993' });
    expect(renderer.json('{{ data.total }}', event)).toBe(12.5);
    expect(renderer.text('user:{{ entityId }}', event, { escape: escapeGlob })).toBe('user:o-1');
  });
});

describe('template contexts: row data cannot break out of where it is inserted', () => {
  const hostile = templateScope({
    ...event,
    data: {
      name: '<b>Ann</b> & "co" \'x\'',
      shout: 'hi <!channel> <@U123> <https://evil.test|click> &amp;',
      quote: 'a"b\\c\n</script>',
      crlf: 'Order\r\nBcc: victim@example.test\u0000',
      path: '../a b/?x=1&y=#z',
      glob: 'a*b?[c]',
      total: 3,
      items: [{ note: '<!here>' }],
    },
  });

  it('escapes HTML by default, with raw for trusted fields', () => {
    const t = compileTemplate('<p>{{ data.name }}</p>{{ data.name | raw }}');
    expect(t.render(hostile, { context: 'html' })).toBe(
      '<p>&lt;b&gt;Ann&lt;/b&gt; &amp; &quot;co&quot; &#39;x&#39;</p><b>Ann</b> & "co" \'x\'',
    );
  });

  it('neutralises Slack mrkdwn control sequences in text and blocks', () => {
    expect(compileTemplate('{{ data.shout }}').render(hostile, { context: 'slack' })).toBe(
      'hi &lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.test|click&gt; &amp;amp;',
    );
    const blocks = compileJsonTemplate([
      { type: 'section', text: { type: 'mrkdwn', text: 'New: {{ data.shout }}' } },
      { fields: '{{ data.items }}', raw: '{{ data.shout | raw }}' },
    ]);
    expect(blocks.render(hostile, { context: 'slack' })).toEqual([
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: 'New: hi &lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.test|click&gt; &amp;amp;',
        },
      },
      {
        fields: [{ note: '&lt;!here&gt;' }],
        raw: 'hi <!channel> <@U123> <https://evil.test|click> &amp;',
      },
    ]);
  });

  it('keeps a JSON text body valid JSON whatever the values', () => {
    const t = compileTemplate(
      '{"name": "{{ data.quote }}", "total": {{ data.total }}, "items": {{ data.items }}, "crlf": "{{ data.crlf }}", "esc": "\\"{{ data.name }}"}',
    );
    const text = t.render(hostile, { context: 'json' });
    expect(JSON.parse(text)).toEqual({
      name: 'a"b\\c\n</script>',
      total: 3,
      items: [{ note: '<!here>' }],
      crlf: 'Order\r\nBcc: victim@example.test\u0000',
      esc: '"<b>Ann</b> & "co" \'x\'',
    });
    // An injection attempt stays inside its string.
    const attack = templateScope({ ...event, data: { v: '", "admin": true, "x": "' } });
    expect(
      JSON.parse(compileTemplate('{"v": "{{ data.v }}"}').render(attack, { context: 'json' })),
    ).toEqual({ v: '", "admin": true, "x": "' });
  });

  it('removes control characters in headers and percent-encodes URL values', () => {
    expect(compileTemplate('Re: {{ data.crlf }}').render(hostile, { context: 'header' })).toBe(
      'Re: Order  Bcc: victim@example.test ',
    );
    expect(
      compileTemplate('/orders/{{ data.path }}?q={{ data.path | urlencode }}').render(hostile, {
        context: 'url',
      }),
    ).toBe('/orders/..%2Fa%20b%2F%3Fx%3D1%26y%3D%23z?q=..%2Fa%20b%2F%3Fx%3D1%26y%3D%23z');
    expect(compileTemplate('k:{{ data.glob }}:*').render(hostile, { context: 'glob' })).toBe(
      'k:a\\*b\\?\\[c\\]:*',
    );
  });
});

describe('template compile cost and size', () => {
  it('rejects unclosed braces in linear time, and refuses templates past MAX_TEMPLATE_LENGTH', () => {
    expect(MAX_TEMPLATE_LENGTH).toBe(65_536);
    // 20 worst cases just under the limit: quadratic compilation took seconds for each.
    const worst = '{{'.repeat(32_000);
    for (let i = 0; i < 20; i += 1) {
      expect(templateError(() => compileTemplate(worst))).toBe("unclosed '{{' at column 1");
    }
    expect(templateError(() => compileTemplate('{{'.repeat(50_000)))).toBe(
      'template is 100000 characters long; the limit is 65536',
    );
    const many = Array.from({ length: 2_000 }, (_, i) => `{{ data.n | default(${i}) }}`).join('-');
    expect(compileTemplate(many).paths).toHaveLength(2_000);
  });
});
