import type { Registry } from 'prom-client';
import { MetricsError } from '../errors.js';
import { registersOf } from './create-metrics-registry.js';

const sets = new WeakMap<Registry, Map<string, unknown>>();

/**
 * The extension point through which a package defines its metrics on a runtime's registry:
 * `define` runs once per registry and name (later calls return the same collectors), and gets
 * the registries to pass as `registers` to each prom-client collector.
 *
 * @throws {MetricsError} `METRIC_CONFLICT` when `define` declares a metric name the registry
 *   already holds from another set.
 * @example
 * const flight = registerMetrics(registry, 'flight', (registers) => ({
 *   streams: new Counter({ name: 'fraiseql_flight_streams_total', help: '...', registers }),
 * }));
 */
export function registerMetrics<T>(
  registry: Registry,
  name: string,
  define: (registers: Registry[]) => T,
): T {
  let byName = sets.get(registry);
  if (byName === undefined) {
    byName = new Map();
    sets.set(registry, byName);
  }
  if (byName.has(name)) return byName.get(name) as T;
  let set: T;
  try {
    set = define(registersOf(registry));
  } catch (error) {
    throw new MetricsError(
      'METRIC_CONFLICT',
      `metric set ${JSON.stringify(name)}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error, details: { set: name } },
    );
  }
  byName.set(name, set);
  return set;
}
