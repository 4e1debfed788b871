import { compileCondition, type CompiledCondition } from '../conditions/compile-condition.js';
import type { ObserverConfig, ObserversConfig } from '../config/observers-config.js';

/** A loaded observer: its config, its name and its compiled condition. */
export type ObserverDefinition = ObserverConfig & {
  readonly name: string;
  /** The compiled `condition`; absent when the observer has none (it matches every event). */
  readonly compiledCondition?: CompiledCondition;
};

/**
 * Turns a loaded config into observer definitions, in file order, compiling each condition
 * once.
 *
 * @throws {ObserverError} `CONDITION_SYNTAX` for a condition that does not compile (a config
 *   from `loadObserversConfig` has been checked already).
 */
export function createObserverDefinitions(config: ObserversConfig): ObserverDefinition[] {
  return Object.entries(config.observers).map(([name, observer]) =>
    Object.freeze({
      ...observer,
      name,
      ...(observer.condition === undefined
        ? {}
        : { compiledCondition: compileCondition(observer.condition) }),
    }),
  );
}
