import type {
  ServiceHealth,
  ServiceHealthReporter,
  ServiceKind,
  ServiceState,
} from './service-health.js';

/** Options of {@link ServiceHealthTracker}. */
export interface ServiceHealthTrackerOptions {
  readonly name: string;
  readonly kind: ServiceKind;
  /** Where it connects, without credentials. */
  readonly target?: string | undefined;
  /**
   * State before the first connection attempt finished.
   * @defaultValue `'down'`
   */
  readonly initial?: ServiceState | undefined;
}

/**
 * Keeps the {@link ServiceHealth} of one connection: call {@link ServiceHealthTracker.up} on
 * every success and {@link ServiceHealthTracker.down} / {@link ServiceHealthTracker.reconnecting}
 * on every failure; repeated calls with the same state change nothing, so they are cheap on hot
 * paths. Listeners hear about real transitions only.
 *
 * @example
 * const health = new ServiceHealthTracker({ name: 'smtp', kind: 'smtp', target: 'mail:587' });
 * transport.on('error', (error) => health.down(error));
 */
export class ServiceHealthTracker implements ServiceHealthReporter {
  readonly name: string;
  readonly kind: ServiceKind;
  readonly target: string | undefined;
  #state: ServiceState;
  #since = new Date();
  #outages = 0;
  #lastError: ServiceHealth['lastError'];
  readonly #listeners = new Set<(health: ServiceHealth) => void>();

  constructor(options: ServiceHealthTrackerOptions) {
    this.name = options.name;
    this.kind = options.kind;
    this.target = options.target;
    this.#state = options.initial ?? 'down';
  }

  get state(): ServiceState {
    return this.#state;
  }

  /** The connection works (a round trip succeeded). Ignored once closed. */
  up(): void {
    this.#enter('up');
  }

  /** The connection failed and nothing retries on its own. Ignored once closed. */
  down(error?: unknown): void {
    this.#fail(error);
    this.#enter('down');
  }

  /** The connection was lost and is being re-established. Ignored once closed. */
  reconnecting(error?: unknown): void {
    this.#fail(error);
    this.#enter('reconnecting');
  }

  /** Records a failure without changing the state (an error the client recovers from). */
  error(error: unknown): void {
    this.#fail(error);
  }

  /** The owner closed the connection; later calls change nothing. */
  closed(): void {
    this.#enter('closed');
  }

  /** Calls `listener` after every state transition; returns a function that unsubscribes. */
  onChange(listener: (health: ServiceHealth) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The current health. */
  snapshot(): ServiceHealth {
    return {
      name: this.name,
      kind: this.kind,
      state: this.#state,
      since: this.#since,
      ...(this.target === undefined ? {} : { target: this.target }),
      outages: this.#outages,
      ...(this.#lastError === undefined ? {} : { lastError: this.#lastError }),
    };
  }

  services(): readonly ServiceHealth[] {
    return [this.snapshot()];
  }

  #fail(error: unknown): void {
    if (error === undefined || this.#state === 'closed') return;
    this.#lastError = { message: errorMessage(error), at: new Date() };
  }

  #enter(state: ServiceState): void {
    if (this.#state === state || this.#state === 'closed') return;
    if (this.#state === 'up' && (state === 'down' || state === 'reconnecting')) this.#outages += 1;
    this.#state = state;
    this.#since = new Date();
    if (this.#listeners.size === 0) return;
    const health = this.snapshot();
    for (const listener of this.#listeners) {
      try {
        listener(health);
      } catch {
        // A listener's failure must not break the connection code that reported the change.
      }
    }
  }
}

function errorMessage(error: unknown): string {
  const message =
    error instanceof Error
      ? error.message || error.name
      : typeof error === 'string'
        ? error
        : String(error);
  // Drivers sometimes echo the URL they failed to reach: never keep its credentials.
  return message.replace(/\/\/[^/@\s]*@/g, '//***@');
}
