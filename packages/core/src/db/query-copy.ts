import { CoreError } from '../errors/core-error.js';
import { abortError, aborted, cursorPrelude, type CursorOptions } from './query-cursor.js';
import { optionalModule } from './optional-module.js';

/** Options of {@link SqlClient.copyOut}: those of a cursor that apply to a COPY. */
export type CopyOutOptions = Pick<CursorOptions, 'signal' | 'statementTimeoutMs' | 'role'>;

/** The slice of `pg-copy-streams`' `to()` stream this module reads. */
interface CopyToStream extends AsyncIterable<Buffer> {
  destroy(error?: Error): void;
}

/** A pooled node-postgres connection as the COPY uses it. */
export interface CopyConnection {
  query(text: string, params?: unknown[]): Promise<unknown>;
  query(stream: CopyToStream): CopyToStream;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
  release?(error?: Error | boolean): void;
}

type CopyTo = (text: string) => CopyToStream;

/** Loads the optional `pg-copy-streams` package once. */
const loadCopyTo = optionalModule('pg-copy-streams', 'copyOut', (module) => {
  const { to, default: fallback } = module as { default?: { to?: CopyTo }; to?: CopyTo };
  const copyTo = to ?? fallback?.to;
  if (copyTo === undefined) throw new Error('pg-copy-streams has no `to` export');
  return copyTo;
});

const PARAMS_SETTING = 'fraiseql.copy_params';
const TYPE_CACHE_SIZE = 256;

/**
 * Parameter types by statement text, for one database (one client): one PREPARE per distinct
 * statement. An entry is dropped when its COPY fails before the first row (a changed schema).
 */
export type CopyTypeCache = Map<string, readonly string[]>;

/**
 * The statement's parameters as text, the way PostgreSQL's input functions read them; undefined
 * for a value this path does not carry (the caller reads with a cursor instead).
 */
export function copyParamText(value: unknown): string | null | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) {
    const items: string[] = [];
    for (const item of value as unknown[]) {
      const text = copyParamText(item);
      if (text === undefined || Array.isArray(item)) return undefined;
      items.push(text === null ? 'NULL' : `"${text.replace(/[\\"]/g, '\\$&')}"`);
    }
    return `{${items.join(',')}}`;
  }
  return undefined;
}

/**
 * `text` with each `$n` placeholder (outside quoted literals and identifiers) replaced by an
 * init-plan read of parameter `n` from the transaction's `fraiseql.copy_params` setting, cast
 * to the type PostgreSQL inferred for it: COPY takes no bind parameters, and the values never
 * enter the statement text.
 */
export function inlineCopyParams(text: string, types: readonly string[]): string {
  let out = '';
  let at = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "'" || c === '"') {
      // Skip a quoted literal or identifier (a doubled quote stays inside it).
      let j = i + 1;
      for (; j < text.length; j++) {
        if (text[j] === c) {
          if (text[j + 1] === c) j++;
          else break;
        }
      }
      i = j + 1;
      continue;
    }
    if (c === '$' && !/[A-Za-z0-9_$]/.test(text[i - 1] ?? ' ')) {
      const match = /^\$(\d+)/.exec(text.slice(i, i + 12));
      if (match?.[1] !== undefined) {
        const n = Number(match[1]);
        const type = types[n - 1];
        if (type === undefined) {
          throw new CoreError('INVALID_ARGUMENT', `copyOut: no type for parameter $${String(n)}`);
        }
        // A cast of a scalar subquery: an expression (also inside ANY(…), where a bare
        // subquery would mean its rows), evaluated once as an init plan.
        out += `${text.slice(at, i)}((SELECT current_setting('${PARAMS_SETTING}')::jsonb ->> ${String(n - 1)})::${type})`;
        i += match[0].length;
        at = i;
        continue;
      }
    }
    i++;
  }
  return out + text.slice(at);
}

/**
 * Streams a read as `COPY (…) TO STDOUT` text-format bytes (tab-separated, `\N` for NULL,
 * backslash escapes, one line per row), on a dedicated connection in a READ ONLY transaction
 * with the cursor's timeout and role. PostgreSQL writes values with their output functions,
 * exactly the text a raw cursor returns, and the bytes arrive without a JavaScript string per
 * value. The parameters travel as one bind parameter of a `set_config` and are read back, cast
 * to the types PostgreSQL inferred for the statement. The socket is read only as fast as the
 * consumer takes chunks; an abort destroys the connection, which ends the query at once.
 *
 * @throws {CoreError} `INVALID_ARGUMENT` for a parameter value this path cannot carry (read
 *   with a cursor instead) or a missing `pg-copy-streams`
 */
export async function* pgCopyOut(
  connect: () => Promise<CopyConnection>,
  typeCache: CopyTypeCache,
  text: string,
  params: readonly unknown[],
  options: CopyOutOptions,
): AsyncGenerator<Buffer> {
  const { signal } = options;
  if (signal !== undefined && aborted(signal)) throw abortError(signal);
  const values = params.map(copyParamText);
  if (values.some((value) => value === undefined)) {
    throw new CoreError('INVALID_ARGUMENT', 'copyOut: a parameter this path cannot carry');
  }
  const copyTo = await loadCopyTo();
  const connection = await connect();
  let broken: Error | undefined;
  const onError = (error: Error): void => {
    broken = error;
  };
  connection.on('error', onError);
  const state: { stream: CopyToStream | undefined; destroyed: boolean } = {
    stream: undefined,
    destroyed: false,
  };
  const onAbort = (): void => {
    state.destroyed = true;
    state.stream?.destroy();
    connection.release?.(true);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  let finished = false;
  let streaming = false;
  try {
    await connection.query(cursorPrelude(options, 'BEGIN READ ONLY').join('; '));
    let types = typeCache.get(text);
    if (types === undefined && params.length > 0) {
      const results = (await connection.query(
        `PREPARE fraiseql_copy_types AS ${text};
         SELECT parameter_types::text[] AS types FROM pg_prepared_statements
         WHERE name = 'fraiseql_copy_types';
         DEALLOCATE fraiseql_copy_types`,
      )) as { rows: { types: string[] }[] }[];
      types = results[1]?.rows[0]?.types ?? [];
      if (typeCache.size >= TYPE_CACHE_SIZE) typeCache.clear();
      typeCache.set(text, types);
    }
    let statement = text;
    if (params.length > 0) {
      await connection.query(`SELECT set_config('${PARAMS_SETTING}', $1, true)`, [
        JSON.stringify(values),
      ]);
      statement = inlineCopyParams(text, types ?? []);
    }
    if (signal !== undefined && aborted(signal)) throw abortError(signal);
    const stream = connection.query(copyTo(`COPY (${statement}) TO STDOUT`));
    state.stream = stream;
    try {
      for await (const chunk of stream) {
        if (broken !== undefined) throw broken;
        if (signal !== undefined && aborted(signal)) throw abortError(signal);
        streaming = true;
        yield chunk;
      }
    } catch (error) {
      // The abort destroyed the stream ("premature close"): the abort's reason is the error.
      if (signal !== undefined && aborted(signal)) throw abortError(signal);
      throw error;
    }
    if (broken !== undefined) throw broken;
    await connection.query('COMMIT');
    finished = true;
  } catch (error) {
    // Types PREPAREd against an older schema would fail every COPY of this text: ask again.
    if (!streaming) typeCache.delete(text);
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!state.destroyed) {
      if (!finished) state.stream?.destroy();
      // Stopped early or failed: the transaction ends with the connection.
      connection.release?.(finished ? undefined : true);
    }
    connection.removeListener('error', onError);
  }
}

/**
 * True for a COPY that could not start for reasons a plain query does not have: core's refusal
 * (`INVALID_ARGUMENT`: no `copyOut`, no `pg-copy-streams`, a parameter COPY cannot carry) or a statement PostgreSQL
 * would not prepare or rewrite for COPY (SQLSTATE `0A000`, class `42` except `42501`). A caller
 * reads the other way then; refusals a query would meet too (permissions, timeouts, a lost
 * connection) are not this.
 */
export function isCopyRefused(error: unknown): boolean {
  if (error instanceof CoreError) return error.code === 'INVALID_ARGUMENT';
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' && (code === '0A000' || (code.startsWith('42') && code !== '42501'))
  );
}
