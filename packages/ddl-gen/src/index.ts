export { DdlGenError, isDdlGenError, type DdlGenErrorCode } from './errors.js';
export {
  schemaDocumentJsonSchema,
  schemaDocumentSchema,
  type SchemaDocument,
  type SchemaDocumentInput,
  type SchemaField,
  type SchemaQuery,
  type SchemaType,
} from './schema/schema-document.js';
export { loadSchema } from './schema/load-schema.js';
export { resolveEntity, type ResolvedEntity } from './schema/resolve-entity.js';
export {
  graphqlSqlType,
  type GraphqlSqlTypeOptions,
  type SqlTypeMapping,
} from './sql/graphql-sql-type.js';
export type { SqlName } from './sql/sql-name.js';
export type {
  JoinStep,
  PlannedField,
  ProjectionPlan,
  SourceIndex,
  SourceLineage,
} from './plan/projection-plan.js';
export { lineagePaths, type ForeignKey, type LineagePathOptions } from './plan/lineage-paths.js';
export { introspectView, type ViewIntrospection } from './plan/introspect-view.js';
export { planProjection, type PlanProjectionOptions } from './plan/plan-projection.js';
export type { GeneratedDdl } from './generators/generated-ddl.js';
export { generateTvDdl, tvNames, type TvDdlOptions } from './generators/tv-ddl.js';
export { generateVaDdl, type VaDdlOptions } from './generators/va-ddl.js';
export {
  generateTaDdl,
  taNames,
  type TaDdlOptions,
  type TaRefreshMode,
} from './generators/ta-ddl.js';
export { typedColumns, type TypedColumn } from './generators/typed-columns.js';
export {
  generateCompositionViews,
  type Composition,
  type CompositionRelation,
  type CompositionViewOptions,
} from './generators/composition-views.js';
export { generateMonitoringDdl, type MonitoringDdlOptions } from './generators/monitoring-ddl.js';
export {
  checkProjection,
  listProjections,
  type CheckProjectionOptions,
  type ProjectionCheck,
  type ProjectionList,
  type ProjectionStatus,
} from './monitoring/projection-reader.js';
export {
  HEAVY_WRITES_PER_MINUTE,
  suggestRefreshStrategy,
  type RefreshSuggestion,
  type RefreshWorkload,
} from './refresh/suggest-refresh-strategy.js';
export { validateDdl } from './validate/validate-ddl.js';
export { checkDdl, type CheckDdlOptions } from './validate/check-ddl.js';
export type { DdlIssue, DdlValidation } from './validate/ddl-issue.js';
export { statementSpans, type StatementSpan } from './validate/statement-spans.js';
