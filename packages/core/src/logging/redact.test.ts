import { describe, expect, it } from 'vitest';
import { isSecretField, REDACTED, redactSecrets, redactValue } from './redact.js';

describe('redaction', () => {
  it('masks URL passwords of any scheme, parseable or not, and keeps the rest', () => {
    expect(redactSecrets('rediz://:hunter2@127.0.0.1:6379')).toBe('rediz://:***@127.0.0.1:6379');
    expect(redactSecrets('got "smtp://mailer:p%40ss@mail:587" (from X)')).toBe(
      'got "smtp://mailer:***@mail:587" (from X)',
    );
    expect(redactSecrets('a https://u:p@h/x and postgres://me:pw@db/app')).toBe(
      'a https://u:***@h/x and postgres://me:***@db/app',
    );
    expect(redactSecrets('https://user@host/no-password')).toBe('https://user@host/no-password');
    expect(redactSecrets('Authorization: Bearer abc.def-ghi')).toBe('Authorization: Bearer ***');
  });

  it('replaces the whole value of secret fields, but not of their Env names', () => {
    expect(isSecretField('secret')).toBe(true);
    expect(isSecretField('secrets')).toBe(true);
    expect(isSecretField('smtpPassword')).toBe(true);
    expect(isSecretField('apiKey')).toBe(true);
    expect(isSecretField('secretEnv')).toBe(false);
    expect(isSecretField('url')).toBe(false);
    expect(redactValue('whsec_bad!', ['observers', 'a', 'signing', 'secrets', 0])).toBe(REDACTED);
    expect(redactValue('https://u:p@h', ['url'])).toBe('https://u:***@h');
    expect(redactValue(5, ['retries'])).toBe(5);
  });
});
