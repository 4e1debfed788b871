import { eventToJson, type EntityEvent, type EntityEventJson } from '@fraiseql/core';

/**
 * What `{{ path }}` placeholders can name: the event JSON as `event`, and its parts at the top
 * level (`data.customer.email`, `changes.status.new`, `entityId`, `seq`, `timestamp`, …).
 */
export interface TemplateScope {
  readonly event: EntityEventJson;
  readonly id: string;
  /** The change-log sequence as a decimal string. */
  readonly seq: string;
  readonly eventType: string;
  readonly entityType: string;
  readonly entityId: string;
  readonly tenantId?: string;
  readonly userId?: string;
  readonly data: EntityEventJson['data'];
  readonly before?: EntityEventJson['before'];
  readonly changes?: EntityEventJson['changes'];
  /** Commit time as an ISO-8601 string. */
  readonly timestamp: string;
  readonly metadata?: EntityEventJson['metadata'];
}

/** The root names a template path may start with. */
export const TEMPLATE_ROOTS: readonly string[] = Object.freeze([
  'event',
  'id',
  'seq',
  'eventType',
  'entityType',
  'entityId',
  'tenantId',
  'userId',
  'data',
  'before',
  'changes',
  'timestamp',
  'metadata',
]);

const scopes = new WeakMap<EntityEvent, TemplateScope>();

/** The template scope of an event (built once per event object and cached). */
export function templateScope(event: EntityEvent): TemplateScope {
  let scope = scopes.get(event);
  if (scope === undefined) {
    const json = eventToJson(event);
    scope = Object.freeze({ ...json, event: json });
    scopes.set(event, scope);
  }
  return scope;
}
