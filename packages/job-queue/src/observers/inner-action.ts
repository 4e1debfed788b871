import type { AnyActionConfig } from '@fraiseql/observers';

/**
 * The action a worker runs for a configured action: the wrapped `action` of an `enqueue`
 * action, the action itself otherwise (`async: true`).
 */
export function innerAction(action: AnyActionConfig): AnyActionConfig {
  if (action.type !== 'enqueue') return action;
  const inner = (action as { action?: unknown }).action;
  return typeof inner === 'object' &&
    inner !== null &&
    typeof (inner as { type?: unknown }).type === 'string'
    ? (inner as AnyActionConfig)
    : action;
}
