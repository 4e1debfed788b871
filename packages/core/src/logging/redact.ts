/**
 * The one redaction policy for messages and logs: values of secret-bearing fields are replaced
 * whole, and URL userinfo passwords are masked wherever they appear in text.
 */

/** Field names whose values are secrets (`secret`, `password`, `apiKey`, `token`, …). */
const SECRET_NAME =
  /(secret|password|passwd|passphrase|token|api[-_]?key|credential|authorization|private[-_]?key|signing[-_]?key)/i;

/** What a redacted value is shown as. */
export const REDACTED = '<redacted>';

/**
 * True when a field of this name holds a secret. A name ending in `Env` (`secretEnv`,
 * `passwordEnv`) names an environment variable, not a secret, and is not one.
 */
export function isSecretField(name: PropertyKey | undefined): boolean {
  if (typeof name !== 'string' || name.endsWith('Env')) return false;
  return SECRET_NAME.test(name);
}

/** True when any named segment of a config path is a secret field (`signing.secrets[0]`). */
export function isSecretPath(path: readonly PropertyKey[]): boolean {
  return path.some(isSecretField);
}

// scheme://user:password@ — the password part, whatever the scheme, parseable or not.
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/[^\s/@:?#]*):([^\s/@?#]*)@/gi;
// Authorization-style values written out in text.
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*/g;

/**
 * Masks secrets inside free text: the password of every `scheme://user:password@host` URL
 * (also unparseable ones and unknown schemes) and `Bearer`/`Basic` credentials.
 *
 * @example redactSecrets('rediz://:hunter2@127.0.0.1:6379') // 'rediz://:***@127.0.0.1:6379'
 */
export function redactSecrets(text: string): string {
  return text.replace(URL_USERINFO, '$1:***@').replace(BEARER, '$1 ***');
}

/**
 * A value as it may be shown for a field at `path`: {@link REDACTED} when the path names a
 * secret field, else strings with {@link redactSecrets} applied; other values unchanged.
 */
export function redactValue(value: unknown, path: readonly PropertyKey[]): unknown {
  if (value === undefined || value === null) return value;
  if (isSecretPath(path)) return REDACTED;
  return typeof value === 'string' ? redactSecrets(value) : value;
}
