import { ElasticsearchError } from '../errors.js';

/** Lower-case letters, digits, `-`, `_` and `.`, not starting with `-`, `_`, `+` or `.`. */
const INDEX_PREFIX = /^[a-z0-9][a-z0-9._-]{0,200}$/;

/**
 * Checks an index name or prefix against Elasticsearch's rules.
 *
 * @throws {ElasticsearchError} `INVALID_ARGUMENT` naming the value.
 */
export function assertIndexName(name: string, what: string): string {
  if (!INDEX_PREFIX.test(name)) {
    throw new ElasticsearchError(
      'INVALID_ARGUMENT',
      `${what}: ${JSON.stringify(name)} is not a valid index name (lower-case letters, digits, ".", "_" or "-", starting with a letter or digit)`,
    );
  }
  return name;
}

/** The monthly event index of a commit time: `fraiseql-events-2026.05` (UTC month). */
export function monthlyIndexName(prefix: string, timestamp: Date): string {
  const month = timestamp.getUTCMonth() + 1;
  return `${prefix}-${timestamp.getUTCFullYear()}.${month < 10 ? '0' : ''}${month}`;
}
