/**
 * The slice of a prom-client `Registry` the console reads: one metric's current values.
 * `createMetricsRegistry()` of `@fraiseql/metrics` (or any prom-client `Registry`) fits.
 */
export interface MetricsSource {
  getSingleMetric(
    name: string,
  ): { get(): Promise<{ readonly values: readonly { readonly value: number }[] }> } | undefined;
}

/** One point of {@link EventRate.samples}. */
export interface RateSample {
  /** End of the interval, ISO-8601. */
  readonly at: string;
  /** Events per second over the interval. */
  readonly perSecond: number;
  /** The largest capture lag of any source at that moment, in seconds (absent without the gauge). */
  readonly lagSeconds?: number;
}

/**
 * Events per second, and the capture lag, over the last hour, sampled from the metrics registry.
 */
export interface EventRate {
  readonly metric: string;
  readonly intervalSeconds: number;
  samples(): readonly RateSample[];
  close(): void;
}

/**
 * Samples the sum of `metric` (a counter, every label set added up) every `intervalMs` and keeps
 * `keep` rates. A counter that went down (a registry reset) counts as a restart from zero.
 */
export function sampleEventRate(
  source: MetricsSource,
  metric: string,
  intervalMs: number,
  keep: number,
  lagMetric?: string,
): EventRate {
  const points: RateSample[] = [];
  let previous: { at: number; total: number } | undefined;
  const sample = async (): Promise<void> => {
    const values = (await source.getSingleMetric(metric)?.get())?.values ?? [];
    const total = values.reduce((sum, point) => sum + point.value, 0);
    const lags =
      lagMetric === undefined
        ? []
        : ((await source.getSingleMetric(lagMetric)?.get())?.values ?? []);
    const at = Date.now();
    if (previous !== undefined && at > previous.at) {
      const delta = total >= previous.total ? total - previous.total : total;
      points.push({
        at: new Date(at).toISOString(),
        perSecond: Math.round((delta / ((at - previous.at) / 1000)) * 100) / 100,
        ...(lags.length === 0
          ? {}
          : { lagSeconds: Math.round(Math.max(...lags.map((l) => l.value)) * 100) / 100 }),
      });
      if (points.length > keep) points.splice(0, points.length - keep);
    }
    previous = { at, total };
  };
  const tick = (): void => {
    sample().catch(() => {
      // A collect callback that throws loses one point; the next sample measures from the last good one.
    });
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    metric,
    intervalSeconds: intervalMs / 1000,
    samples: () => [...points],
    close: () => {
      clearInterval(timer);
    },
  };
}
