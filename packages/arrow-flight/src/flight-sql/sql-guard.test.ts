import { describe, expect, it } from 'vitest';
import { isFlightError } from '../errors.js';
import { guardSql, type RelationReference, type ResolvedRelation } from './sql-guard.js';

// The catalog is a fixed allow-list here (no database): public.va_orders with a tenant column,
// public.va_items without one. Everything else is unknown.
const ALLOWED: Record<string, ResolvedRelation> = {
  va_orders: { schema: 'public', name: 'va_orders', tenantColumn: 'tenant_id' },
  va_items: { schema: 'public', name: 'va_items' },
};

const resolve = (references: readonly RelationReference[]) =>
  Promise.resolve(
    new Map(
      references.flatMap((reference) => {
        const target = ALLOWED[reference.name];
        if (target === undefined) return [];
        if (reference.schema !== undefined && reference.schema !== target.schema) return [];
        return [[reference, target] as const];
      }),
    ),
  );

const refusal = async (sql: string, tenant?: string) => {
  try {
    await guardSql(sql, { resolve, tenant });
  } catch (error) {
    if (isFlightError(error)) return error;
    throw error;
  }
  throw new Error(`accepted: ${sql}`);
};

describe('guardSql', () => {
  it('qualifies every relation and keeps CTE names as CTEs', async () => {
    const guarded = await guardSql(
      'WITH o AS (SELECT * FROM va_orders) SELECT o.id, i.sku FROM o JOIN public.va_items i ON i.order_id = o.id WHERE o.id = $1',
      { resolve },
    );
    expect(guarded.sql).toBe(
      'WITH o AS (SELECT * FROM "public"."va_orders") SELECT o.id, i.sku FROM o JOIN "public"."va_items" i ON i.order_id = o.id WHERE o.id = $1',
    );
    expect(guarded.parameterCount).toBe(1);
    expect(guarded.extraParameters).toEqual([]);
  });

  it('reads a tenant-bound caller’s relations through a tenant filter taken from the claim', async () => {
    const guarded = await guardSql('SELECT o.* FROM va_orders o, va_orders', {
      resolve,
      tenant: "t1' OR '1'='1",
    });
    expect(guarded.sql).toBe(
      'SELECT o.* FROM (SELECT * FROM "public"."va_orders" WHERE "tenant_id" = $1) o, (SELECT * FROM "public"."va_orders" WHERE "tenant_id" = $1) AS "va_orders"',
    );
    expect(guarded.extraParameters).toEqual(["t1' OR '1'='1"]);
  });

  it('refuses a relation without a tenant column to a tenant-bound caller', async () => {
    const error = await refusal('SELECT * FROM va_items', 't1');
    expect(error.code).toBe('PERMISSION_DENIED');
  });

  it('resolves a later CTE name in a non-recursive WITH to the table, not the CTE', async () => {
    // `b` inside `a` is the table b (not allowed), although a CTE named b follows.
    const error = await refusal('WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a');
    expect(error.message).toContain('relation "b"');
  });

  it('does not let a CTE in a subquery shadow a table outside it', async () => {
    const error = await refusal('SELECT (WITH tb_secret AS (SELECT 1) SELECT 1), * FROM tb_secret');
    expect(error.message).toContain('relation "tb_secret" at position 55');
  });

  const corpus: [string, RegExp][] = [
    ['DELETE FROM va_orders', /only a read-only SELECT/],
    ['UPDATE va_orders SET x = 1', /only a read-only SELECT/],
    ['INSERT INTO va_orders VALUES (1)', /only a read-only SELECT/],
    ['DROP TABLE va_orders', /only a read-only SELECT/],
    ['CREATE TABLE x (a int)', /only a read-only SELECT/],
    ["COPY va_orders TO '/tmp/x'", /only a read-only SELECT/],
    ['SET statement_timeout = 0', /only a read-only SELECT/],
    ['SELECT 1; DELETE FROM va_orders', /only one statement.*second at position 10/],
    ['SELECT 1 /* ; */ ; DROP TABLE va_orders -- x', /only one statement/],
    ['SELECT 1 -- \n; DROP TABLE va_orders', /only one statement/],
    ['SELECT pg_sleep(10)', /function "pg_sleep" at position 7/],
    ["SELECT pg_read_file('/etc/passwd')", /function "pg_read_file"/],
    ["SELECT * FROM dblink('host=x', 'select 1') AS t(a int)", /function "dblink"/],
    ["SELECT set_config('role', 'postgres', false)", /function "set_config"/],
    ['SELECT lo_import($1)', /function "lo_import"/],
    ['SELECT public.lower(x) FROM va_items', /function "public.lower"/],
    ['SELECT * FROM pg_authid', /relation "pg_authid"/],
    ['SELECT * FROM pg_catalog.pg_class', /relation "pg_catalog.pg_class"/],
    ['SELECT * FROM other.va_orders', /relation "other.va_orders"/],
    ['SELECT * FROM tb_orders', /relation "tb_orders"/],
    ['SELECT * FROM va_orders FOR UPDATE', /FOR UPDATE/],
    ['SELECT * INTO tb_copy FROM va_orders', /SELECT INTO/],
    ['WITH d AS (DELETE FROM va_orders RETURNING *) SELECT * FROM d', /DeleteStmt is not allowed/],
    ["SELECT 'pg_authid'::regclass", /cast to regclass/],
    ['SELECT * FROM va_orders TABLESAMPLE SYSTEM (10)', /RangeTableSample/],
    ['SELECT xmlparse(document $1)', /XmlExpr/],
    ['SELEC 1', /syntax error at or near "SELEC" at position 0/],
    ["SELECT 'unterminated", /unterminated quoted string/],
    ['', /empty/i],
  ];

  it.each(corpus)('refuses %j with INVALID_ARGUMENT and a position', async (sql, message) => {
    const error = await refusal(sql);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(message);
  });

  it('passes string literals that look like SQL through as values', async () => {
    const guarded = await guardSql(
      "SELECT '; DROP TABLE va_orders; --' AS s, $$ DELETE $$ AS t FROM va_items",
      { resolve },
    );
    expect(guarded.sql).toBe(
      'SELECT \'; DROP TABLE va_orders; --\' AS s, $$ DELETE $$ AS t FROM "public"."va_items"',
    );
  });

  it('handles quoted, spaced and commented qualified names', async () => {
    const guarded = await guardSql('SELECT * FROM "public" /* c */ . "va_items" AS x', {
      resolve,
    });
    expect(guarded.sql).toBe('SELECT * FROM "public"."va_items" AS x');
  });

  it('counts byte offsets correctly after multi-byte text', async () => {
    const error = await refusal("SELECT '漢字🦀', pg_sleep(1)");
    expect(error.message).toContain('at position 14 (line 1, column 15)');
  });
});
