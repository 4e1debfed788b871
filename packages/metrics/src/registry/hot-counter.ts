import { HotMetric, type HotMetricOptions } from './hot-metric.js';

/** One series of a {@link HotCounter}: increment `value` directly. */
export interface HotCounterCell {
  value: number;
}

/** Options of {@link HotCounter}. */
export type HotCounterOptions = HotMetricOptions;

/**
 * A counter with one label for the hottest paths (one call per action): callers keep the cell
 * of a label value and add to it, with no label hashing or validation per call. It exposes
 * itself to prom-client registries like a prom-client `Counter`.
 */
export class HotCounter extends HotMetric<HotCounterCell> {
  readonly type = 'counter';

  constructor(options: HotCounterOptions) {
    super(options);
    this.register(options.registers);
  }

  protected newCell(): HotCounterCell {
    return { value: 0 };
  }

  /** Snapshot in prom-client's metric object form. */
  get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: { labels: Record<string, string>; value: number }[];
  }> {
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: [...this.cells].map(([labelValue, cell]) => ({
        labels: { [this.label]: labelValue },
        value: cell.value,
      })),
    });
  }
}
