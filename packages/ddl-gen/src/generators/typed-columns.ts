import { DdlGenError } from '../errors.js';
import type { PlannedField, ProjectionPlan } from '../plan/projection-plan.js';
import { literal, qi } from '../sql/sql-name.js';

/** One typed column of a `va_` view or `ta_` table. */
export interface TypedColumn {
  readonly column: string;
  readonly sqlType: string;
  /** Expression over the document `v.data` (a `v_` view or `tv_` table row aliased `v`). */
  readonly expression: string;
  readonly field: PlannedField;
}

/**
 * The typed columns of an entity, one per field other than `id` (which comes from the view's
 * own `id` column): text fields read with `->>` and cast, JSON fields read with `->`.
 *
 * @throws {DdlGenError} `INVALID_ARGUMENT` when two fields map to the same column or a field
 *   maps to a reserved column (`id`, `refreshed_at`).
 */
export function typedColumns(plan: ProjectionPlan): TypedColumn[] {
  const seen = new Set(['id', 'refreshed_at']);
  return plan.fields
    .filter((field) => field.key !== 'id')
    .map((field) => {
      if (seen.has(field.column)) {
        throw new DdlGenError(
          'INVALID_ARGUMENT',
          `${plan.typeName}.${field.key}: column ${JSON.stringify(field.column)} is reserved or already used by another field`,
        );
      }
      seen.add(field.column);
      const { mapping } = field;
      const expression =
        mapping.read === 'jsonb'
          ? `(v.data -> ${literal(field.key)})`
          : mapping.sqlType === 'text'
            ? `(v.data ->> ${literal(field.key)})`
            : `(v.data ->> ${literal(field.key)})::${mapping.sqlType}`;
      return { column: field.column, sqlType: mapping.sqlType, expression, field };
    });
}

/** `<id> AS id, <expr> AS col, ...` for the typed columns, the id read from `idExpression`. */
export function typedSelectList(columns: readonly TypedColumn[], idExpression: string): string {
  return [
    `${idExpression} AS id`,
    ...columns.map((c) => `${c.expression} AS ${qi(c.column)}`),
  ].join(',\n    ');
}
