import { collectDefaultMetrics, register as defaultRegistry, Registry } from 'prom-client';

/** Options of {@link createMetricsRegistry}. */
export interface MetricsRegistryOptions {
  /**
   * Also register every FraiseQL metric on prom-client's global default registry, so an
   * application that already serves `register.metrics()` shows them too. @defaultValue `false`
   */
  readonly mergeIntoDefault?: boolean | undefined;
  /** Labels added to every sample (for example `{ service: 'orders' }`). @defaultValue none */
  readonly defaultLabels?: Readonly<Record<string, string>> | undefined;
  /** Also collect prom-client's Node process metrics (CPU, memory, event loop lag). @defaultValue `false` */
  readonly processMetrics?: boolean | undefined;
}

const extraRegisters = new WeakMap<Registry, readonly Registry[]>();

/**
 * Creates the Prometheus registry of one runtime: every FraiseQL metric set (observers, job
 * queue, extensions) created with it registers here, never only on the global default.
 *
 * @example
 * const registry = createMetricsRegistry({ defaultLabels: { service: 'orders' } });
 * const metrics = createObserverMetrics(registry);
 */
export function createMetricsRegistry(options: MetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.defaultLabels !== undefined) registry.setDefaultLabels({ ...options.defaultLabels });
  if (options.mergeIntoDefault === true) extraRegisters.set(registry, [defaultRegistry]);
  if (options.processMetrics === true) collectDefaultMetrics({ register: registry });
  return registry;
}

/** The registries a metric defined for `registry` is registered on: it, plus the default one when merged. */
export function registersOf(registry: Registry): Registry[] {
  return [registry, ...(extraRegisters.get(registry) ?? [])];
}
