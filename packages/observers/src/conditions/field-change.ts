import type { EntityEvent } from '@fraiseql/core';

import { valuesEqual } from './condition-semantics.js';
import { compilePathGetter } from './field-path.js';

/** Old and new value of a changed field. */
export interface FieldValues {
  readonly old: unknown;
  readonly new: unknown;
}

/**
 * The change of a field in an event, or undefined when it did not change. Old and new values
 * come from `changes` when the event carries it, else from `before` and `data`; a field counts
 * as changed when they differ. Events with neither (INSERT, DELETE) change no field.
 */
export function fieldChange(event: EntityEvent, field: readonly string[]): FieldValues | undefined {
  const [first = '', ...rest] = field;
  let change: FieldValues;
  if (event.changes !== undefined) {
    if (!Object.hasOwn(event.changes, first)) return undefined;
    const entry = event.changes[first] as unknown;
    if (typeof entry !== 'object' || entry === null) return undefined;
    const { old, new: next } = entry as { old?: unknown; new?: unknown };
    const get = compilePathGetter(rest);
    change = { old: get(old), new: get(next) };
  } else if (event.before !== undefined) {
    const get = compilePathGetter(field);
    change = { old: get(event.before), new: get(event.data) };
  } else {
    return undefined;
  }
  return valuesEqual(change.old, change.new) ? undefined : change;
}
