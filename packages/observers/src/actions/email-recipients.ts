import { createRequire } from 'node:module';
import type * as EmailAddresses from 'email-addresses';
import type { EntityEvent } from '@fraiseql/core';

import type { RecipientTemplate } from '../config/action-config.js';
import { ObserverError } from '../errors.js';
import type { TemplateRenderer } from './template-renderer.js';

// A CommonJS module whose typings use `export =`.
const emailAddresses = createRequire(import.meta.url)('email-addresses') as typeof EmailAddresses;

/**
 * Longest text one address slot may render to: RFC 5322's line limit (an address is at most 254
 * characters, RFC 5321). Longer text is refused without parsing: the address parser's time grows
 * faster than the input, and row data must not be able to stall the process.
 */
export const MAX_ADDRESS_TEXT = 998;

/** Longest text of one `{ list: … }` item (several addresses), refused without parsing beyond. */
export const MAX_ADDRESS_LIST_TEXT = 16_384;

/**
 * Renders address fields so that row data can never add or redirect a recipient: each template
 * slot must yield exactly one mailbox, parsed with an RFC 5322 parser (`email-addresses`), and
 * values substituted outside a quoted display name may hold no address syntax (`, < > ; :`,
 * spaces …). Only a `{ list: … }` slot may yield several addresses: a list value, or text parsed
 * as an address list. Slots that render to the empty string are skipped.
 *
 * @throws {ObserverError} `TEMPLATE_ERROR` (permanent, `errorType: 'recipient'`) naming the
 *   field, never the addresses.
 */
export function renderRecipients(
  field: string,
  slots: RecipientTemplate | readonly RecipientTemplate[],
  templates: TemplateRenderer,
  event: EntityEvent,
): string[] {
  const list: readonly RecipientTemplate[] =
    typeof slots === 'string' || !Array.isArray(slots)
      ? [slots as RecipientTemplate]
      : (slots as readonly RecipientTemplate[]);
  const out: string[] = [];
  list.forEach((slot, index) => {
    const where = list.length === 1 && !Array.isArray(slots) ? field : `${field}[${index}]`;
    if (typeof slot === 'string') {
      const text = renderAddressText(where, slot, templates, event);
      if (text !== '') out.push(oneMailbox(where, text));
      return;
    }
    const value = templates.json(slot.list, event);
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) {
      if (item === null || item === '') continue;
      if (typeof item !== 'string') throw recipientError(where, 'a list item is not text');
      if (item.length > MAX_ADDRESS_LIST_TEXT) {
        throw recipientError(
          where,
          `a list item of ${String(item.length)} characters is longer than ${String(MAX_ADDRESS_LIST_TEXT)}`,
        );
      }
      const parsed = emailAddresses.parseAddressList({ input: item, rfc6532: true });
      if (parsed === null) throw recipientError(where, 'the value is not an address list');
      for (const entry of parsed) {
        if (entry.type !== 'mailbox') throw recipientError(where, 'groups are not accepted');
        out.push(entry.address);
      }
    }
  });
  return out;
}

/** Renders one address field that must hold exactly one mailbox (`from`). */
export function renderOneAddress(
  field: string,
  template: string,
  templates: TemplateRenderer,
  event: EntityEvent,
): string {
  return oneMailbox(field, renderAddressText(field, template, templates, event));
}

function renderAddressText(
  where: string,
  template: string,
  templates: TemplateRenderer,
  event: EntityEvent,
): string {
  try {
    return templates.text(template, event, { context: 'address' }).trim();
  } catch (error) {
    if (error instanceof ObserverError && error.errorType === 'recipient') {
      throw recipientError(where, error.message);
    }
    throw error;
  }
}

function oneMailbox(where: string, text: string): string {
  if (text.length > MAX_ADDRESS_TEXT) {
    throw recipientError(
      where,
      `rendered to ${String(text.length)} characters, more than an address can hold (${String(MAX_ADDRESS_TEXT)})`,
    );
  }
  const parsed = emailAddresses.parseOneAddress({ input: text, rfc6532: true });
  if (parsed?.type !== 'mailbox') {
    const count = emailAddresses.parseAddressList({ input: text, rfc6532: true })?.length;
    throw recipientError(
      where,
      count !== undefined && count > 1
        ? `rendered to ${count} addresses where one is allowed (use { list: … } for a list)`
        : 'rendered to something that is not one email address',
    );
  }
  return text;
}

function recipientError(where: string, reason: string): ObserverError {
  return new ObserverError('TEMPLATE_ERROR', `email.${where}: ${reason}`, {
    retryable: false,
    errorType: 'recipient',
  });
}
