/** Comparison operators of the condition language. */
export type CompareOperator = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** Where a path starts: an event part with fields, or a single event attribute. */
export type PathRoot =
  | 'data'
  | 'before'
  | 'changes'
  | 'metadata'
  | 'id'
  | 'entityType'
  | 'entityId'
  | 'eventType'
  | 'tenantId'
  | 'userId';

/** Functions the condition language knows. */
export type ConditionFunction =
  'has_field' | 'field_changed' | 'field_changed_to' | 'field_changed_from';

interface Span {
  /** Offset of the first character in the source. */
  readonly start: number;
  /** Offset just past the last character. */
  readonly end: number;
}

/** A node of a parsed condition. */
export type ConditionNode =
  | (Span & {
      readonly kind: 'or' | 'and';
      readonly left: ConditionNode;
      readonly right: ConditionNode;
    })
  | (Span & { readonly kind: 'not'; readonly operand: ConditionNode })
  | (Span & {
      readonly kind: 'compare';
      readonly op: CompareOperator;
      readonly left: ConditionNode;
      readonly right: ConditionNode;
    })
  | (Span & { readonly kind: 'in'; readonly left: ConditionNode; readonly right: ConditionNode })
  | (Span & {
      readonly kind: 'call';
      readonly name: ConditionFunction;
      /** Field named by the first argument, as path segments (relative to `data`/`changes`). */
      readonly field: readonly string[];
      readonly args: readonly ConditionNode[];
    })
  | (Span & {
      readonly kind: 'path';
      readonly root: PathRoot;
      readonly segments: readonly string[];
    })
  | (Span & { readonly kind: 'literal'; readonly value: string | number | boolean | null })
  | (Span & { readonly kind: 'list'; readonly items: readonly ConditionNode[] });
