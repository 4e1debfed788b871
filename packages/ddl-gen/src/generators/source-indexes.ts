import type { ProjectionPlan } from '../plan/projection-plan.js';
import { objectName } from '../sql/object-name.js';
import { qi, qn } from '../sql/sql-name.js';

/** `CREATE INDEX IF NOT EXISTS` for the source columns the refresh path looks rows up by. */
export function sourceIndexesSql(plan: ProjectionPlan): string {
  return plan.sourceIndexes
    .map(
      (index) =>
        `CREATE INDEX IF NOT EXISTS ${qi(objectName(index.table.name, '_', index.column, '_idx'))} ON ${qn(index.table)} (${qi(index.column)});`,
    )
    .join('\n');
}
