import type { EntityEvent } from '@fraiseql/core';
import type { ConditionClause } from '../conditions/compile-condition.js';
import type { ObserverMatcher, ObserverState } from './observer-matcher.js';

/** Why one observer matches an event or not (what `debug-event` shows). */
export interface ObserverVerdict {
  readonly observer: string;
  readonly state: ObserverState;
  /** Whether its actions run for the event (running or paused, entity, kind and condition match). */
  readonly matched: boolean;
  readonly entityMatches: boolean;
  readonly eventMatches: boolean;
  /** The condition's result and each clause's, with the values compared. */
  readonly condition?: {
    readonly source: string;
    readonly result: boolean;
    readonly clauses: readonly ConditionClause[];
  };
  /** A condition that failed to evaluate on this event. */
  readonly conditionError?: string;
  /** Action types in order. */
  readonly actions: readonly string[];
}

/**
 * Explains, for every loaded observer, whether `event` matches it and why: state, entity, event
 * kind and each condition clause. Runs nothing; a condition that throws on hostile data is
 * reported, not thrown.
 */
export function explainEvent(matcher: ObserverMatcher, event: EntityEvent): ObserverVerdict[] {
  return matcher.list().map((status) => {
    const definition = matcher.get(status.name);
    const entityMatches = status.entity === '*' || status.entity === event.entityType;
    const eventMatches = status.events.includes(event.eventType);
    let condition: ObserverVerdict['condition'];
    let conditionError: string | undefined;
    if (definition?.compiledCondition !== undefined && definition.condition !== undefined) {
      try {
        condition = {
          source: definition.condition,
          ...definition.compiledCondition.explain(event),
        };
      } catch (error) {
        conditionError = error instanceof Error ? error.message : String(error);
      }
    }
    const matched =
      status.state !== 'disabled' &&
      entityMatches &&
      eventMatches &&
      conditionError === undefined &&
      (condition?.result ?? true);
    return {
      observer: status.name,
      state: status.state,
      matched,
      entityMatches,
      eventMatches,
      ...(condition === undefined ? {} : { condition }),
      ...(conditionError === undefined ? {} : { conditionError }),
      actions: (definition?.actions ?? []).map((action) => action.type),
    };
  });
}
