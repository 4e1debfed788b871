import { qn, type SqlName } from '../sql/sql-name.js';

/**
 * FROM items reading a `v_` view so that each row's document is computed once: the view row is
 * aliased `s` (its `id` is `s.id`) and its document is `v.data`. Without the `OFFSET 0` lateral,
 * PostgreSQL flattens the view into the query and copies the whole `data` expression (with every
 * subquery it contains) into each column that reads a field of it; the lateral is not flattened,
 * while conditions on `s.id` still reach the view's tables and their indexes.
 */
export function documentRowsSql(view: SqlName): string {
  return `${qn(view)} AS s ${DOCUMENT_LATERAL}`;
}

/** The lateral of {@link documentRowsSql}, to follow a join of the view aliased `s`. */
export const DOCUMENT_LATERAL = 'CROSS JOIN LATERAL (SELECT s.data OFFSET 0) AS v (data)';
