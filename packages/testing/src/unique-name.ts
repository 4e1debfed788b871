import { randomBytes } from 'node:crypto';

/**
 * A name unique to this test run, safe as an SQL identifier, Redis key prefix or NATS stream
 * name: lowercase letters, digits and underscores, starting with `prefix`.
 */
export function uniqueName(prefix = 't'): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return `${clean}_${process.pid.toString(36)}_${randomBytes(5).toString('hex')}`;
}
