import { parseDuration, type DurationInput, type SqlClient } from '@fraiseql/core';
import { DdlGenError } from '../errors.js';

/** One projection as `projection_status()` reports it. */
export interface ProjectionStatus {
  /** `schema.table`, e.g. `public.tv_order`. */
  readonly projection: string;
  readonly kind: 'tv' | 'ta';
  readonly refreshMode: 'trigger' | 'scheduled' | 'manual';
  /** `schema.view` the projection is computed from. */
  readonly sourceView: string;
  readonly projectionRows: number;
  readonly sourceRows: number;
  /**
   * When the last full refresh (`refresh_all_…()`) finished, from the state table; `null` until
   * the first one. Trigger-maintained projections are refreshed row by row in the writer's
   * transaction and record no full refresh.
   */
  readonly lastRefreshAt: string | null;
  /** Newest value of the projection's change column (its last changed row), `null` when empty. */
  readonly lastChangeAt: string | null;
  /**
   * Seconds since the last full refresh; `0` for trigger-maintained projections; `null` when a
   * scheduled or manual projection was never fully refreshed (unknown).
   */
  readonly stalenessSeconds: number | null;
  /** True when a `check_…()` divergence function exists for this projection. */
  readonly checkable: boolean;
}

/** What {@link listProjections} found. */
export interface ProjectionList {
  /**
   * False when no schema has the monitoring functions (`generateMonitoringDdl`) installed:
   * there is nothing to report, which is not an error.
   */
  readonly installed: boolean;
  /** Schemas whose `projection_status()` was read. */
  readonly schemas: readonly string[];
  readonly projections: readonly ProjectionStatus[];
}

/** The divergence between one projection and its source view, from its `check_…()` function. */
export interface ProjectionCheck {
  readonly projection: string;
  /** Rows the source view has and the projection lacks. */
  readonly missing: number;
  /** Rows the projection has and the source view lacks. */
  readonly extra: number;
  /** Rows present in both whose content differs. */
  readonly different: number;
  /** True when all three counts are zero. */
  readonly inSync: boolean;
  /** Up to `sampleSize` ids per problem, as text. */
  readonly samples: {
    readonly missing: readonly string[];
    readonly extra: readonly string[];
    readonly different: readonly string[];
  };
  /** When the check ran (database clock). */
  readonly checkedAt: string;
  /** How long the check took, in milliseconds. */
  readonly durationMs: number;
}

interface StatusRow {
  schema: string;
  projection: string;
  kind: 'tv' | 'ta';
  refresh_mode: 'trigger' | 'scheduled' | 'manual';
  source_view: string;
  projection_rows: string | number | null;
  source_rows: string | number | null;
  last_refresh_at: Date | string | null;
  last_change_at: Date | string | null;
  staleness_seconds: string | number | null;
  checkable: boolean;
}

const STATUS_SCHEMAS_SQL = `SELECT n.nspname::text AS schema
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE p.proname = 'projection_status' AND p.pronargs = 0
  AND to_regclass(format('%I.%I', n.nspname, 'fraiseql_projection_state')) IS NOT NULL
ORDER BY 1`;

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function statusSql(schema: string): string {
  return `SELECT $1::text AS schema, s.projection, s.kind, s.refresh_mode, s.source_view,
  s.projection_rows, s.source_rows, s.last_refresh_at, s.last_change_at,
  extract(epoch FROM s.staleness)::float8 AS staleness_seconds,
  to_regprocedure(format('%I.%I()', split_part(s.projection, '.', 1),
    'check_' || split_part(s.projection, '.', 2))) IS NOT NULL AS checkable
FROM ${quoteIdent(schema)}.projection_status() AS s`;
}

function toNumber(value: string | number | null): number {
  return value === null ? 0 : Number(value);
}

function toIso(value: Date | string | null): string | null {
  if (value === null) return null;
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

/**
 * Lists every projection registered in any schema that has the monitoring functions installed
 * (`generateMonitoringDdl`), with row counts, last full refresh, last change and staleness, read
 * from `projection_status()`. A database without them yields `installed: false`, not an error.
 *
 * @example
 * const { installed, projections } = await listProjections(db);
 * for (const p of projections) console.log(p.projection, p.projectionRows, p.stalenessSeconds);
 */
export async function listProjections(db: SqlClient): Promise<ProjectionList> {
  const schemas = (await db.query<{ schema: string }>(STATUS_SCHEMAS_SQL)).rows.map(
    (row) => row.schema,
  );
  const projections: ProjectionStatus[] = [];
  for (const schema of schemas) {
    const result = await db.query<StatusRow>(statusSql(schema), [schema]);
    for (const row of result.rows) {
      projections.push({
        projection: row.projection,
        kind: row.kind,
        refreshMode: row.refresh_mode,
        sourceView: row.source_view,
        projectionRows: toNumber(row.projection_rows),
        sourceRows: toNumber(row.source_rows),
        lastRefreshAt: toIso(row.last_refresh_at),
        lastChangeAt: toIso(row.last_change_at),
        stalenessSeconds: row.staleness_seconds === null ? null : Number(row.staleness_seconds),
        checkable: row.checkable,
      });
    }
  }
  return { installed: schemas.length > 0, schemas, projections };
}

/** SQLSTATE of a statement cancelled by `statement_timeout`. */
const QUERY_CANCELED = '57014';

/** Options of {@link checkProjection}. */
export interface CheckProjectionOptions {
  /**
   * Ids reported per problem kind.
   * @defaultValue 10
   */
  readonly sampleSize?: number;
  /**
   * How long the comparison may run (milliseconds or a duration string such as `'2m'`); a
   * check that takes longer is cancelled in PostgreSQL and fails with `CHECK_TIMEOUT`.
   * @defaultValue `'60s'`
   */
  readonly timeout?: DurationInput;
}

/**
 * Runs the divergence check of one registered projection (`check_<table>()`, generated with
 * it): one full comparison of the projection with its source view, read-only (`STABLE`) but as
 * costly as reading both. Only projections `listProjections` reports can be checked.
 *
 * @example
 * const result = await checkProjection(db, 'public.tv_order');
 * if (!result.inSync) console.log(result.missing, result.extra, result.different);
 * @throws {DdlGenError} `UNKNOWN_PROJECTION` when the name is not a registered projection with a
 *   check function; `INVALID_ARGUMENT` for a bad `sampleSize` or `timeout`; `CHECK_TIMEOUT` when
 *   the check ran longer than `timeout` (PostgreSQL cancelled it)
 */
export async function checkProjection(
  db: SqlClient,
  name: string,
  options: CheckProjectionOptions = {},
): Promise<ProjectionCheck> {
  const sampleSize = options.sampleSize ?? 10;
  let timeoutMs: number;
  try {
    timeoutMs = parseDuration(options.timeout ?? '60s', 'timeout');
  } catch (error) {
    throw new DdlGenError('INVALID_ARGUMENT', (error as Error).message, { cause: error });
  }
  if (!Number.isInteger(sampleSize) || sampleSize < 0 || sampleSize > 1000) {
    throw new DdlGenError('INVALID_ARGUMENT', 'sampleSize must be an integer from 0 to 1000');
  }
  const started = performance.now();
  const { result, clock } = await db
    .transaction(async (tx) => {
      // One read-only transaction with a deadline: the lookup counts rows and the comparison
      // reads both relations whole; either may wait on a lock.
      await tx.exec(
        `SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = ${String(Math.max(1, Math.floor(timeoutMs)))}`,
      );
      const { projections } = await listProjections(tx);
      const found = projections.find((p) => p.projection === name);
      if (found?.checkable !== true) {
        throw new DdlGenError(
          'UNKNOWN_PROJECTION',
          found === undefined
            ? `no registered projection named ${JSON.stringify(name)}`
            : `projection ${JSON.stringify(name)} has no check function`,
        );
      }
      const dot = name.indexOf('.');
      const fn = `${quoteIdent(name.slice(0, dot))}.${quoteIdent(`check_${name.slice(dot + 1)}`)}`;
      return {
        result: await tx.query<{ problem: string; n: string; sample: string[] | null }>(
          `SELECT problem, count(*)::bigint AS n,
             (array_agg(entity_id::text))[1:$1::int] AS sample
           FROM ${fn}() GROUP BY problem`,
          [sampleSize],
        ),
        clock: await tx.query<{ now: Date | string }>('SELECT now() AS now'),
      };
    })
    .catch((error: unknown) => {
      if ((error as { code?: unknown } | null)?.code === QUERY_CANCELED) {
        throw new DdlGenError(
          'CHECK_TIMEOUT',
          `the check of ${name} did not finish within ${String(timeoutMs)} ms; raise the timeout or run it when the database is quiet`,
          { cause: error },
        );
      }
      throw error;
    });
  const durationMs = Math.round(performance.now() - started);
  const counts = { missing: 0, extra: 0, different: 0 };
  const samples: { missing: string[]; extra: string[]; different: string[] } = {
    missing: [],
    extra: [],
    different: [],
  };
  for (const row of result.rows) {
    if (row.problem === 'missing' || row.problem === 'extra' || row.problem === 'different') {
      counts[row.problem] = Number(row.n);
      samples[row.problem] = sampleSize === 0 ? [] : (row.sample ?? []);
    }
  }
  return {
    projection: name,
    ...counts,
    inSync: counts.missing + counts.extra + counts.different === 0,
    samples,
    checkedAt: toIso(clock.rows[0]?.now ?? new Date()) ?? new Date().toISOString(),
    durationMs,
  };
}
