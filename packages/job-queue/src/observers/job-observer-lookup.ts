import type { AnyActionConfig, ObserversConfig, RetryPolicyConfig } from '@fraiseql/observers';

/** The fields of an observer a worker reads (an observers `ObserverDefinition` fits). */
export interface JobObserver {
  readonly name: string;
  readonly actions: readonly AnyActionConfig[];
  readonly retry?: RetryPolicyConfig | undefined;
  /** Every action of the observer runs on a worker. */
  readonly async?: boolean | undefined;
}

/** Finds observers by name; the matcher of `@fraiseql/observers` fits. */
export interface JobObserverLookup {
  get(name: string): JobObserver | undefined;
}

/** A lookup over the observers of a loaded config (what a worker without a matcher uses). */
export function observerLookupFromConfig(config: ObserversConfig): JobObserverLookup {
  return {
    get(name) {
      const observer = Object.hasOwn(config.observers, name) ? config.observers[name] : undefined;
      return observer === undefined ? undefined : { ...observer, name };
    },
  };
}
