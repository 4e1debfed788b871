/**
 * What a connection to an outside service is doing right now:
 *
 * - `up`: connected, or the last round trip succeeded;
 * - `down`: the last attempt failed and nothing is being retried until the next use (a pool
 *   opens a new connection on demand);
 * - `reconnecting`: lost, and the client is trying to get it back on its own (with backoff);
 * - `closed`: closed by its owner; it will not come back.
 */
export type ServiceState = 'up' | 'down' | 'reconnecting' | 'closed';

/**
 * The kind of service a connection goes to. The listed kinds are the ones FraiseQL packages
 * open; any other string is allowed for services of your own.
 */
export type ServiceKind =
  | 'postgres'
  | 'redis'
  | 'nats'
  | 'smtp'
  | 'http'
  | 'clickhouse'
  | 'elasticsearch'
  | 'grpc'
  | (string & {});

/**
 * The health of one connection (or pool of connections) a package holds, as `health()`
 * reports list it. Plain data: safe to serialise as JSON (dates become ISO strings).
 */
export interface ServiceHealth {
  /** Stable, low-cardinality name within the process: `postgres`, `postgres:listen`, `nats`. */
  readonly name: string;
  readonly kind: ServiceKind;
  readonly state: ServiceState;
  /** When the connection entered `state`. */
  readonly since: Date;
  /** Where it connects (`host:port`, a URL without credentials), when known. */
  readonly target?: string | undefined;
  /** Times the connection went from `up` to `down` or `reconnecting` since it was created. */
  readonly outages: number;
  /** The last failure seen, kept after recovery (compare `at` with `since`). */
  readonly lastError?: { readonly message: string; readonly at: Date } | undefined;
}

/** Anything that can list the health of the connections it holds. */
export interface ServiceHealthReporter {
  /** One entry per connection (or pool); an empty list when it holds none. */
  services(): readonly ServiceHealth[];
}
