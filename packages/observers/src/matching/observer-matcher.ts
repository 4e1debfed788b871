import type { EntityEvent, EventType } from '@fraiseql/core';

import { ObserverError } from '../errors.js';
import type { ObserverDefinition } from './observer-definition.js';

/**
 * Runtime state of an observer. `running`: matched and run. `paused`: still matched, but its
 * events must be held until it resumes (see {@link ObserverMatcher.matchAll}). `disabled`: not
 * matched at all; its events are not held.
 */
export type ObserverState = 'running' | 'paused' | 'disabled';

/** An observer and its state, as {@link ObserverMatcher.list} reports it. */
export interface ObserverStatus {
  readonly name: string;
  readonly state: ObserverState;
  readonly entity: string;
  readonly events: readonly EventType[];
  readonly description?: string;
}

/** A matched observer with its state at match time. */
export type MatchedObserver = ObserverDefinition & {
  readonly state: 'running' | 'paused';
  /**
   * Set when the observer's condition could not be evaluated for this event: the observer is
   * returned so that its own failure policy handles the event, and the others still run.
   */
  readonly matchError?: ObserverError;
};

/** Chooses the observers of each event; observers can change state and be replaced live. */
export interface ObserverMatcher {
  /**
   * Running observers whose entity (or `*`), event kind and condition match, in config order.
   * Paused and disabled observers are left out. An observer whose condition threw on this
   * event is returned with `matchError` set (see {@link MatchedObserver}); it never stops the
   * others from matching.
   */
  match(
    event: EntityEvent,
  ): readonly (ObserverDefinition & { readonly matchError?: ObserverError })[];
  /**
   * Running and paused observers that match, each with its `state`. A caller that honours
   * pause holds the event for the paused ones (for example awaiting {@link whenRunning}
   * before running them, while keeping the delivery alive) instead of acknowledging it.
   */
  matchAll(event: EntityEvent): readonly MatchedObserver[];
  /** An observer by name, whatever its state. */
  get(name: string): ObserverDefinition | undefined;
  /** The state of an observer, or undefined when none has this name. */
  state(name: string): ObserverState | undefined;
  /** @throws {ObserverError} `INVALID_ARGUMENT` for an unknown name. */
  enable(name: string): void;
  /** Stops matching the observer. @throws {ObserverError} `INVALID_ARGUMENT` for an unknown name. */
  disable(name: string): void;
  /** Holds the observer's events until {@link resume}. @throws {ObserverError} `INVALID_ARGUMENT` */
  pause(name: string): void;
  /** @throws {ObserverError} `INVALID_ARGUMENT` for an unknown name. */
  resume(name: string): void;
  /** Every observer with its state, in config order. */
  list(): ObserverStatus[];
  /**
   * Swaps in a new set of observers at once (a config reload): a `match` sees either the old
   * set or the new one. Runtime states survive for observers that stay, unless the new config
   * changes their `enabled`; new observers start as their config says.
   *
   * @throws {ObserverError} `INVALID_ARGUMENT` for duplicate names (the old set stays).
   */
  replace(definitions: readonly ObserverDefinition[]): void;
  /**
   * Resolves once the observer is running (`'running'`), or when waiting is pointless:
   * `'disabled'` or `'removed'` (by a reload).
   *
   * @throws the signal's reason when `signal` aborts first.
   */
  whenRunning(
    name: string,
    options?: { signal?: AbortSignal },
  ): Promise<'running' | 'disabled' | 'removed'>;
  /** Calls `listener` after every state change (also those from `replace`); returns unsubscribe. */
  onStateChange(listener: (name: string, state: ObserverState | 'removed') => void): () => void;
}

interface Status {
  enabled: boolean;
  paused: boolean;
}

interface Entry {
  readonly definition: ObserverDefinition;
  readonly status: Status;
  readonly order: number;
  readonly asRunning: MatchedObserver;
  readonly asPaused: MatchedObserver;
}

interface Snapshot {
  readonly entries: readonly Entry[];
  readonly byName: ReadonlyMap<string, Entry>;
  /** eventType → entity (or `*`) → entries in config order, wildcard entries merged in. */
  readonly index: ReadonlyMap<string, ReadonlyMap<string, readonly Entry[]>>;
}

const NONE: readonly never[] = Object.freeze([]);

function stateOf(status: Status): ObserverState {
  return !status.enabled ? 'disabled' : status.paused ? 'paused' : 'running';
}

function build(
  definitions: readonly ObserverDefinition[],
  previous: Snapshot | undefined,
): Snapshot {
  const byName = new Map<string, Entry>();
  const entries = definitions.map((definition, order): Entry => {
    if (byName.has(definition.name)) {
      throw new ObserverError('INVALID_ARGUMENT', `observer "${definition.name}" is defined twice`);
    }
    const before = previous?.byName.get(definition.name);
    const status: Status =
      before === undefined
        ? { enabled: definition.enabled, paused: false }
        : {
            enabled:
              before.definition.enabled === definition.enabled
                ? before.status.enabled
                : definition.enabled,
            paused: before.status.paused,
          };
    const entry: Entry = {
      definition,
      status,
      order,
      asRunning: Object.freeze({ ...definition, state: 'running' as const }),
      asPaused: Object.freeze({ ...definition, state: 'paused' as const }),
    };
    byName.set(definition.name, entry);
    return entry;
  });
  const exact = new Map<string, Map<string, Entry[]>>();
  for (const entry of entries) {
    for (const eventType of new Set(entry.definition.events)) {
      let byEntity = exact.get(eventType);
      if (byEntity === undefined) exact.set(eventType, (byEntity = new Map<string, Entry[]>()));
      const list = byEntity.get(entry.definition.entity);
      if (list === undefined) byEntity.set(entry.definition.entity, [entry]);
      else list.push(entry);
    }
  }
  const index = new Map<string, ReadonlyMap<string, readonly Entry[]>>();
  for (const [eventType, byEntity] of exact) {
    const wildcard = byEntity.get('*') ?? [];
    const merged = new Map<string, readonly Entry[]>();
    for (const [entity, list] of byEntity) {
      merged.set(
        entity,
        entity === '*' ? list : [...list, ...wildcard].sort((a, b) => a.order - b.order),
      );
    }
    index.set(eventType, merged);
  }
  return { entries, byName, index };
}

/**
 * Creates a matcher over observer definitions, indexed by (event kind, entity) with `*` for
 * every entity. Conditions are evaluated only for observers whose index key fits.
 *
 * @throws {ObserverError} `INVALID_ARGUMENT` for duplicate names.
 * @example const matcher = createMatcher(createObserverDefinitions(config));
 */
export function createMatcher(definitions: readonly ObserverDefinition[]): ObserverMatcher {
  let snapshot = build(definitions, undefined);
  const listeners = new Set<(name: string, state: ObserverState | 'removed') => void>();

  const candidates = (event: EntityEvent): readonly Entry[] => {
    const byEntity = snapshot.index.get(event.eventType);
    if (byEntity === undefined) return NONE;
    return byEntity.get(event.entityType) ?? byEntity.get('*') ?? NONE;
  };
  /** true, false, or the error of a condition that failed on this event (that observer only). */
  const matches = (entry: Entry, event: EntityEvent): boolean | ObserverError => {
    const condition = entry.definition.compiledCondition;
    if (condition === undefined) return true;
    try {
      return condition.evaluate(event);
    } catch (error) {
      return conditionFailed(entry.definition.name, event, error);
    }
  };

  const entryOf = (name: string): Entry => {
    const entry = snapshot.byName.get(name);
    if (entry === undefined) {
      const known = snapshot.entries.map((item) => item.definition.name).join(', ');
      throw new ObserverError(
        'INVALID_ARGUMENT',
        `no observer named "${name}" (loaded: ${known === '' ? 'none' : known})`,
      );
    }
    return entry;
  };
  const notify = (name: string, state: ObserverState | 'removed'): void => {
    for (const listener of [...listeners]) listener(name, state);
  };
  const stateByName = (name: string): ObserverState | undefined => {
    const entry = snapshot.byName.get(name);
    return entry === undefined ? undefined : stateOf(entry.status);
  };
  const onStateChange = (
    listener: (name: string, state: ObserverState | 'removed') => void,
  ): (() => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  const change = (name: string, update: (status: Status) => void): void => {
    const entry = entryOf(name);
    const before = stateOf(entry.status);
    update(entry.status);
    const after = stateOf(entry.status);
    if (after !== before) notify(name, after);
  };

  return {
    match(event) {
      const list = candidates(event);
      if (list.length === 0) return NONE;
      const out: (ObserverDefinition & { readonly matchError?: ObserverError })[] = [];
      for (const entry of list) {
        if (!entry.status.enabled || entry.status.paused) continue;
        const matched = matches(entry, event);
        if (matched === true) out.push(entry.definition);
        else if (matched !== false) out.push({ ...entry.definition, matchError: matched });
      }
      return out;
    },
    matchAll(event) {
      const out: MatchedObserver[] = [];
      for (const entry of candidates(event)) {
        if (!entry.status.enabled) continue;
        const matched = matches(entry, event);
        if (matched === false) continue;
        const as = entry.status.paused ? entry.asPaused : entry.asRunning;
        out.push(matched === true ? as : { ...as, matchError: matched });
      }
      return out;
    },
    get: (name) => snapshot.byName.get(name)?.definition,
    state: stateByName,
    enable: (name) => {
      change(name, (status) => (status.enabled = true));
    },
    disable: (name) => {
      change(name, (status) => (status.enabled = false));
    },
    pause: (name) => {
      change(name, (status) => (status.paused = true));
    },
    resume: (name) => {
      change(name, (status) => (status.paused = false));
    },
    list: () =>
      snapshot.entries.map(({ definition, status }) => ({
        name: definition.name,
        state: stateOf(status),
        entity: definition.entity,
        events: definition.events,
        ...(definition.description === undefined ? {} : { description: definition.description }),
      })),
    replace(next) {
      const previous = snapshot;
      const built = build(next, previous);
      snapshot = built;
      for (const entry of previous.entries) {
        const name = entry.definition.name;
        const now = built.byName.get(name);
        if (now === undefined) notify(name, 'removed');
        else if (stateOf(now.status) !== stateOf(entry.status)) notify(name, stateOf(now.status));
      }
      for (const entry of built.entries) {
        if (!previous.byName.has(entry.definition.name)) {
          notify(entry.definition.name, stateOf(entry.status));
        }
      }
    },
    whenRunning(name, options = {}) {
      const { signal } = options;
      const current = stateByName(name);
      if (current === undefined) return Promise.resolve('removed');
      if (current !== 'paused') return Promise.resolve(current);
      return new Promise((resolve, reject) => {
        const onAbort = (): void => {
          unsubscribe();
          reject(signal?.reason as Error);
        };
        const unsubscribe = onStateChange((changed, state) => {
          if (changed !== name || state === 'paused') return;
          unsubscribe();
          signal?.removeEventListener('abort', onAbort);
          resolve(state);
        });
        if (signal?.aborted === true) onAbort();
        else signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    onStateChange,
  };
}

function conditionFailed(name: string, event: EntityEvent, error: unknown): ObserverError {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new ObserverError(
    'CONDITION_EVAL',
    `observers.${name}.condition: evaluation failed on event ${event.id} (${reason})`,
    { retryable: false, errorType: 'condition', cause: error },
  );
}
