import { randomBytes } from 'node:crypto';
import { FlightError } from '../errors.js';
import type { PgParameter } from './arrow-values.js';

/** A prepared statement as the server keeps it between calls. */
export interface PreparedStatement {
  readonly sql: string;
  /** Subject that created it; no one else may use it. */
  readonly owner: string;
  readonly parameterCount: number;
  /** The bound parameter row (empty until bound). */
  parameters: PgParameter[];
  lastUsed: number;
}

/**
 * Prepared statements by handle (16 random bytes): at most `max`, the least recently used
 * dropped first, and each dropped after `ttlMs` unused. Nothing is prepared in PostgreSQL:
 * each execution is checked and described again, so a handle holds no connection.
 */
export class PreparedStatements {
  readonly #statements = new Map<string, PreparedStatement>();
  readonly #max: number;
  readonly #ttlMs: number;

  constructor(options: { max: number; ttlMs: number }) {
    this.#max = options.max;
    this.#ttlMs = options.ttlMs;
  }

  get size(): number {
    return this.#statements.size;
  }

  #sweep(now: number): void {
    for (const [key, statement] of this.#statements) {
      if (now - statement.lastUsed > this.#ttlMs) this.#statements.delete(key);
    }
    while (this.#statements.size >= this.#max) {
      const oldest = this.#statements.keys().next();
      if (oldest.done === true) break;
      this.#statements.delete(oldest.value);
    }
  }

  create(init: { sql: string; owner: string; parameterCount: number }): Uint8Array {
    const now = Date.now();
    this.#sweep(now);
    const handle = new Uint8Array(randomBytes(16));
    this.#statements.set(Buffer.from(handle).toString('hex'), {
      ...init,
      parameters: [],
      lastUsed: now,
    });
    return handle;
  }

  /** @throws {FlightError} `NOT_FOUND` for an unknown, closed or expired handle. */
  get(handle: Uint8Array): PreparedStatement {
    const key = Buffer.from(handle).toString('hex');
    const statement = this.#statements.get(key);
    if (statement === undefined || Date.now() - statement.lastUsed > this.#ttlMs) {
      this.#statements.delete(key);
      throw new FlightError(
        'NOT_FOUND',
        'prepared statement: unknown, closed or expired handle; prepare it again',
      );
    }
    statement.lastUsed = Date.now();
    // Re-inserting keeps the map in least-recently-used order.
    this.#statements.delete(key);
    this.#statements.set(key, statement);
    return statement;
  }

  bind(handle: Uint8Array, parameters: PgParameter[]): void {
    this.get(handle).parameters = parameters;
  }

  /** Drops a statement; a handle of another caller is refused, an unknown one ignored. */
  close(handle: Uint8Array, owner: string): void {
    const key = Buffer.from(handle).toString('hex');
    const statement = this.#statements.get(key);
    if (statement === undefined) return;
    if (statement.owner !== owner) {
      throw new FlightError('PERMISSION_DENIED', 'prepared statement: owned by another caller');
    }
    this.#statements.delete(key);
  }
}
