import type { SqlClient } from '@fraiseql/core';
import { hasAnyRole, type Principal } from '../auth/principal.js';
import type { RelationReference, ResolvedRelation } from './sql-guard.js';

/** One relation SQL may read. */
export interface SqlRelationGrant {
  /** @defaultValue 'public' */
  readonly schema?: string | undefined;
  readonly name: string;
  /** Column holding the tenant; a caller with a tenant claim reads only its rows. */
  readonly tenantColumn?: string | undefined;
  /** Roles that may read it; every authenticated caller when absent. */
  readonly roles?: readonly string[] | undefined;
  /**
   * The PostgreSQL role statements reading it run as (`SET LOCAL ROLE`), so that they have
   * that role's grants and no more; the service's `dbRole` when absent.
   */
  readonly dbRole?: string | undefined;
}

/** Every relation of a schema whose name matches `pattern`. */
export interface SqlSchemaGrant {
  readonly name: string;
  /**
   * Regular expression the relation name must match.
   * @defaultValue '^(va|ta|tv)_' (the read models)
   */
  readonly pattern?: string | undefined;
  readonly tenantColumn?: string | undefined;
  readonly roles?: readonly string[] | undefined;
  /** As {@link SqlRelationGrant.dbRole}, for every relation of the schema. */
  readonly dbRole?: string | undefined;
}

/** An allowed relation as found in the catalog. */
export interface CatalogRelation extends ResolvedRelation {
  /** Flight SQL table type: `TABLE`, `VIEW`, `MATERIALIZED VIEW`, `FOREIGN TABLE`. */
  readonly tableType: string;
}

const RELATIONS_SQL = `
SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
ORDER BY 1, 2`;

const TABLE_TYPES: Readonly<Record<string, string>> = {
  r: 'TABLE',
  p: 'TABLE',
  v: 'VIEW',
  m: 'MATERIALIZED VIEW',
  f: 'FOREIGN TABLE',
};

/** The relations Flight SQL may read: explicit grants plus schema grants, checked in the catalog. */
export class SqlCatalog {
  readonly #db: SqlClient;
  readonly #relations: Map<string, SqlRelationGrant & { schema: string }>;
  readonly #schemas: readonly (SqlSchemaGrant & { regex: RegExp })[];

  constructor(
    db: SqlClient,
    relations: readonly SqlRelationGrant[],
    schemas: readonly SqlSchemaGrant[],
  ) {
    this.#db = db;
    this.#relations = new Map(
      relations.map((grant) => {
        const schema = grant.schema ?? 'public';
        return [`${schema}.${grant.name}`, { ...grant, schema }];
      }),
    );
    this.#schemas = schemas.map((grant) => ({
      ...grant,
      regex: new RegExp(grant.pattern ?? '^(va|ta|tv)_'),
    }));
  }

  /** Schemas that hold allowed relations, in lookup order for unqualified names. */
  get schemaNames(): string[] {
    const names: string[] = [];
    for (const grant of this.#relations.values()) {
      if (!names.includes(grant.schema)) names.push(grant.schema);
    }
    for (const grant of this.#schemas) if (!names.includes(grant.name)) names.push(grant.name);
    return names;
  }

  #grantOf(schema: string, name: string): SqlRelationGrant | SqlSchemaGrant | undefined {
    const explicit = this.#relations.get(`${schema}.${name}`);
    if (explicit !== undefined) return explicit;
    return this.#schemas.find((grant) => grant.name === schema && grant.regex.test(name));
  }

  /** Every relation `principal` may read, from the catalog. */
  async list(principal: Principal): Promise<CatalogRelation[]> {
    const { rows } = await this.#db.query<{ schema: string; name: string; kind: string }>(
      RELATIONS_SQL,
      [this.schemaNames],
    );
    const out: CatalogRelation[] = [];
    for (const row of rows) {
      const grant = this.#grantOf(row.schema, row.name);
      if (grant === undefined || !hasAnyRole(principal, grant.roles)) continue;
      if (principal.tenant !== undefined && grant.tenantColumn === undefined) continue;
      out.push({
        schema: row.schema,
        name: row.name,
        tenantColumn: grant.tenantColumn,
        tableType: TABLE_TYPES[row.kind] ?? 'TABLE',
      });
    }
    return out;
  }

  /**
   * Resolves what a statement names: a qualified name to that relation when allowed, an
   * unqualified one to the first allowed schema that has it. Unknown or forbidden names are
   * left out of the answer.
   */
  async resolve(
    references: readonly RelationReference[],
    principal: Principal,
  ): Promise<Map<RelationReference, ResolvedRelation>> {
    const resolved = new Map<RelationReference, ResolvedRelation>();
    if (references.length === 0) return resolved;
    const schemas = this.schemaNames;
    const { rows } = await this.#db.query<{ schema: string; name: string; kind: string }>(
      RELATIONS_SQL,
      [schemas],
    );
    const present = new Set(rows.map((row) => `${row.schema}.${row.name}`));
    for (const reference of references) {
      const candidates =
        reference.schema === undefined ? schemas : schemas.filter((s) => s === reference.schema);
      for (const schema of candidates) {
        if (!present.has(`${schema}.${reference.name}`)) continue;
        const grant = this.#grantOf(schema, reference.name);
        if (grant === undefined || !hasAnyRole(principal, grant.roles)) continue;
        resolved.set(reference, {
          schema,
          name: reference.name,
          tenantColumn: grant.tenantColumn,
          dbRole: grant.dbRole,
        });
        break;
      }
    }
    return resolved;
  }
}
