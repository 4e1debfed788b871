import type { SqlName } from '../sql/sql-name.js';
import type { SqlTypeMapping } from '../sql/graphql-sql-type.js';

/** One join from the previous table of a lineage path to `table`, on column pairs. */
export interface JoinStep {
  readonly table: SqlName;
  /** `[previous table column, this table column]` pairs, joined with AND. */
  readonly on: readonly (readonly [string, string])[];
}

/**
 * A table the source view reads, and how its changed rows lead to the ids of the documents they
 * appear in: every path ends on the root table. An empty path means the table is the root.
 */
export interface SourceLineage {
  readonly table: SqlName;
  readonly paths: readonly (readonly JoinStep[])[];
  /**
   * True when no foreign-key path leads to the root table: a change to this table rebuilds the
   * whole projection (correct, but slow on large projections).
   */
  readonly fullRefresh: boolean;
}

/** A typed field of the entity, as a `va_`/`ta_` column. */
export interface PlannedField {
  /** Key in the `data` document. */
  readonly key: string;
  /** Column name in `va_`/`ta_` (snake_case of the key). */
  readonly column: string;
  readonly mapping: SqlTypeMapping;
  readonly nullable: boolean;
}

/** An index on a source table that the refresh path looks rows up by. */
export interface SourceIndex {
  readonly table: SqlName;
  readonly column: string;
}

/**
 * Everything the generators need about one entity: pure data, built by `planProjection` from the
 * schema JSON and (optionally) a live database, and editable before generation.
 */
export interface ProjectionPlan {
  /** Entity name: `user` gives `tv_user`, `va_user`, `ta_user`. */
  readonly entity: string;
  /** GraphQL type name. */
  readonly typeName: string;
  /** Schema the generated objects are created in. */
  readonly schema: string;
  /** The `v_` view with `id` and `data` columns. */
  readonly view: SqlName;
  /** The table the document id comes from. */
  readonly rootTable: SqlName;
  /** Column of {@link ProjectionPlan.rootTable} exposed by the view as `id`. */
  readonly rootIdColumn: string;
  /** SQL type of the view's `id` column. */
  readonly idType: string;
  readonly fields: readonly PlannedField[];
  /** Tables whose changes refresh the projection, with their lineage to the root table. */
  readonly sources: readonly SourceLineage[];
  /**
   * Tables that are not sources but whose writes take the projection lock first, like source
   * tables do (see `PlanProjectionOptions.lockTables`). Absent means none.
   */
  readonly lockTables?: readonly SqlName[];
  /** Lookup indexes to create on source tables (missing ones only, when introspected). */
  readonly sourceIndexes: readonly SourceIndex[];
  /** True when the plan was read from a live database. */
  readonly introspected: boolean;
  /** What the planner could not do, for the user to read. */
  readonly warnings: readonly string[];
}
