import { escapeGlob } from '../actions/escape-glob.js';
import { ObserverError } from '../errors.js';

/**
 * Where a rendered template goes, which decides how substituted values are escaped:
 * - `text`: nothing (plain text bodies, Redis keys: `UNLINK` takes literal keys);
 * - `html`: `& < > " '` become entities (email `html`);
 * - `slack`: `& < >` become `&amp; &lt; &gt;`, so row data cannot write `<!channel>`, user
 *   mentions or links (Slack `text` and `blocks`);
 * - `url`: percent-encoded (`encodeURIComponent`);
 * - `header`: control characters (CR, LF, NUL, …) become spaces (email `subject`, headers);
 * - `glob`: Redis glob characters escaped (cache `patterns`);
 * - `json`: JSON text (a webhook body sent as JSON): a value inside a string literal is
 *   JSON-string-escaped, elsewhere it is written as a JSON value, so the body stays valid JSON;
 * - `address`: an email address field: inside a quoted display name a value is quoted-string
 *   escaped; elsewhere it may only hold address atoms (letters, digits, `.`, `@`, `+`, `-` …),
 *   never `, ; < > : "` or spaces, so it cannot add or redirect a recipient.
 */
export type TemplateContext =
  'text' | 'html' | 'slack' | 'url' | 'header' | 'glob' | 'json' | 'address';

const HTML: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const SLACK: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** Escapes substituted text for a context (`json` is handled by the template, by position). */
export function escapeFor(context: TemplateContext, text: string): string {
  switch (context) {
    case 'text':
    case 'json':
      return text;
    case 'address':
      return addressAtoms(text);
    case 'html':
      return text.replace(/[&<>"']/g, (char) => HTML[char] ?? char);
    case 'slack':
      return text.replace(/[&<>]/g, (char) => SLACK[char] ?? char);
    case 'url':
      return encodeURIComponent(text);
    case 'header':
      // eslint-disable-next-line no-control-regex -- control characters are what is removed
      return text.replace(/[\u0000-\u001f\u007f]/g, ' ');
    case 'glob':
      return escapeGlob(text);
  }
}

// atext of RFC 5322 plus `.` and `@`, and any non-ASCII letter (RFC 6532).
const ADDRESS_ATOMS = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.@\u0080-\uffff]*$/;

function addressAtoms(text: string): string {
  if (!ADDRESS_ATOMS.test(text)) {
    throw new ObserverError(
      'TEMPLATE_ERROR',
      'a value holds address syntax (spaces, commas, angle brackets, quotes …) where one address is expected',
      { retryable: false, errorType: 'recipient' },
    );
  }
  return text;
}

/** Escapes text for the inside of a quoted display name: `\` and `"` escaped, controls removed. */
export function quotedDisplayName(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/["\\]/g, (char) => `\\${char}`);
}
