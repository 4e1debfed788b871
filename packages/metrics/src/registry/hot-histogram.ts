import { HotMetric, type HotMetricOptions } from './hot-metric.js';

/** One series of a {@link HotHistogram}. */
export class HotHistogramCell {
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  readonly counts: number[];
  sum = 0;
  count = 0;
  readonly #bounds: readonly number[];

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  /** Records one observation. */
  observe(value: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] ?? Number.POSITIVE_INFINITY)) i += 1;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.sum += value;
    this.count += 1;
  }
}

/** Options of {@link HotHistogram}. */
export interface HotHistogramOptions extends HotMetricOptions {
  readonly buckets: readonly number[];
}

interface Sample {
  /** Bucket samples carry prom-client's (unused) exemplar slot, as its Histogram does. */
  exemplar?: null;
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * A histogram with one label for the hottest paths: callers keep the cell of a label value and
 * observe into it, with no label hashing or validation per call. It exposes itself to
 * prom-client registries like a prom-client `Histogram` (`_bucket` with `le`, `_sum`, `_count`).
 */
export class HotHistogram extends HotMetric<HotHistogramCell> {
  readonly type = 'histogram';
  readonly #bounds: readonly number[];

  constructor(options: HotHistogramOptions) {
    super(options);
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
    this.register(options.registers);
  }

  protected newCell(): HotHistogramCell {
    return new HotHistogramCell(this.#bounds);
  }

  /** Snapshot in prom-client's metric object form. */
  get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: Sample[];
  }> {
    const values: Sample[] = [];
    for (const [labelValue, cell] of this.cells) {
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += cell.counts[i] ?? 0;
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { le: bound, [this.label]: labelValue },
          value: cumulative,
          exemplar: null,
        });
      });
      values.push({
        metricName: `${this.name}_bucket`,
        labels: { le: '+Inf', [this.label]: labelValue },
        value: cell.count,
        exemplar: null,
      });
      values.push({
        metricName: `${this.name}_sum`,
        labels: { [this.label]: labelValue },
        value: cell.sum,
      });
      values.push({
        metricName: `${this.name}_count`,
        labels: { [this.label]: labelValue },
        value: cell.count,
      });
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    });
  }
}
