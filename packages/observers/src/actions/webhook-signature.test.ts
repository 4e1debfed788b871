import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { isObserverError } from '../errors.js';
import { signWebhook, webhookMessageId } from './webhook-signature.js';

const secret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

describe('signWebhook', () => {
  it('produces headers the standardwebhooks library verifies, for every rotated secret', () => {
    const [oldSecret, newSecret] = [secret(), secret()];
    const body = JSON.stringify({ hello: 'wörld' });
    const headers = signWebhook({
      id: webhookMessageId('e1', 'orders', 0),
      timestamp: Math.floor(Date.now() / 1000),
      body,
      secrets: [oldSecret, newSecret],
    });
    expect(headers['webhook-id']).toBe('e1:orders:0');
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const key of [oldSecret, newSecret]) {
      expect(new Webhook(key).verify(body, { ...headers })).toEqual({ hello: 'wörld' });
    }
    expect(() => new Webhook(secret()).verify(body, { ...headers })).toThrow();
    expect(() => new Webhook(newSecret).verify(`${body} `, { ...headers })).toThrow();
  });

  it('rejects malformed secrets without echoing them', () => {
    let error: unknown;
    try {
      signWebhook({ id: 'x', timestamp: 1, body: '', secrets: ['not-a-secret-value'] });
    } catch (caught) {
      error = caught;
    }
    expect(isObserverError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).not.toContain('not-a-secret-value');
  });
});
