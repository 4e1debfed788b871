import { createHmac } from 'node:crypto';
import { ObserverError } from '../errors.js';

const SECRET_PREFIX = 'whsec_';

/** The three Standard Webhooks headers of a signed request. */
export interface WebhookSignatureHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

/** What {@link signWebhook} signs. */
export interface WebhookSignatureInput {
  /** Message id, stable across retries so receivers can deduplicate. */
  readonly id: string;
  /** Send time, in whole seconds since the epoch. */
  readonly timestamp: number;
  /** The exact request body bytes (as text). */
  readonly body: string;
  /** `whsec_<base64>` secrets; with several (rotation) each adds one `v1,` signature. */
  readonly secrets: readonly string[];
}

/**
 * Signs a webhook per the Standard Webhooks specification: `webhook-signature` holds one
 * space-separated `v1,<base64 HMAC-SHA256("id.timestamp.body")>` per secret.
 *
 * @throws {ObserverError} `CONFIG_INVALID` when a secret is not `whsec_<base64>` or there is none.
 * @example signWebhook({ id: 'evt_1', timestamp: 1_700_000_000, body: '{}', secrets: ['whsec_…'] })
 */
export function signWebhook(input: WebhookSignatureInput): WebhookSignatureHeaders {
  if (input.secrets.length === 0) {
    throw new ObserverError('CONFIG_INVALID', 'signing: at least one secret is needed');
  }
  const content = `${input.id}.${input.timestamp}.${input.body}`;
  const signatures = input.secrets.map(
    (secret, index) =>
      `v1,${createHmac('sha256', secretKey(secret, index)).update(content).digest('base64')}`,
  );
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(input.timestamp),
    'webhook-signature': signatures.join(' '),
  };
}

/** The Standard Webhooks message id of one action of one observer for one event. */
export function webhookMessageId(eventId: string, observer: string, actionIndex: number): string {
  return `${eventId}:${observer}:${actionIndex}`;
}

function secretKey(secret: string, index: number): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : '';
  const key = Buffer.from(encoded, 'base64');
  if (encoded === '' || key.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
    // The secret itself never appears in the message.
    throw new ObserverError(
      'CONFIG_INVALID',
      `signing.secrets[${index}]: expected a Standard Webhooks secret "whsec_<base64>"`,
    );
  }
  return key;
}
