import { FlightError } from '../errors.js';
import type { Principal } from '../auth/principal.js';

/** One running DoGet stream. */
export interface ActiveStream {
  readonly id: string;
  readonly kind: string;
  readonly subject: string;
  readonly client: string;
  readonly startedAt: number;
  readonly controller: AbortController;
}

/** Limits on concurrent streams. */
export interface StreamLimits {
  /** Streams at once on this server. */
  readonly maxStreams: number;
  /** Streams at once per client (subject + peer address). */
  readonly maxStreamsPerClient: number;
}

/** Tracks running streams for limits, the `cancel` action and health. */
export class StreamRegistry {
  readonly #streams = new Map<string, ActiveStream>();
  readonly #limits: StreamLimits;

  constructor(limits: StreamLimits) {
    this.#limits = limits;
  }

  get size(): number {
    return this.#streams.size;
  }

  /**
   * Registers a stream. Returns a function that unregisters it.
   * @throws {FlightError} `RESOURCE_EXHAUSTED` over a limit; `INVALID_ARGUMENT` when a stream
   *   with this id is already running (a ticket is redeemed once at a time).
   */
  open(stream: ActiveStream): () => void {
    if (this.#streams.size >= this.#limits.maxStreams) {
      throw new FlightError(
        'RESOURCE_EXHAUSTED',
        `server is serving its maximum of ${this.#limits.maxStreams} streams; retry later`,
      );
    }
    let mine = 0;
    for (const other of this.#streams.values()) if (other.client === stream.client) mine++;
    if (mine >= this.#limits.maxStreamsPerClient) {
      throw new FlightError(
        'RESOURCE_EXHAUSTED',
        `this client already has ${mine} streams open (limit ${this.#limits.maxStreamsPerClient})`,
      );
    }
    if (this.#streams.has(stream.id)) {
      throw new FlightError('INVALID_ARGUMENT', 'this ticket is already being read');
    }
    this.#streams.set(stream.id, stream);
    return () => {
      if (this.#streams.get(stream.id) === stream) this.#streams.delete(stream.id);
    };
  }

  /**
   * Cancels a running stream by id; only its owner or an `admin` may.
   * @throws {FlightError} `NOT_FOUND` / `PERMISSION_DENIED`.
   */
  cancel(id: string, principal: Principal): void {
    const stream = this.#streams.get(id);
    if (stream === undefined) throw new FlightError('NOT_FOUND', `stream ${id}: not running`);
    const admin = principal.roles.includes('admin') || principal.roles.includes('*');
    if (stream.subject !== principal.subject && !admin) {
      throw new FlightError('PERMISSION_DENIED', `stream ${id}: not yours to cancel`);
    }
    stream.controller.abort(new FlightError('CANCELLED', `stream ${id} cancelled`));
  }

  /** Aborts every stream (server shutdown). */
  abortAll(reason: unknown): void {
    for (const stream of this.#streams.values()) stream.controller.abort(reason);
  }

  list(): ActiveStream[] {
    return [...this.#streams.values()];
  }
}
