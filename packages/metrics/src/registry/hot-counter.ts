import type { Registry } from 'prom-client';

/** One series of a {@link HotCounter}: increment `value` directly. */
export interface HotCounterCell {
  value: number;
}

/** Options of {@link HotCounter}. */
export interface HotCounterOptions {
  readonly name: string;
  readonly help: string;
  readonly labelName: string;
  readonly registers: readonly Registry[];
}

/**
 * A counter with one label for the hottest paths (one call per action): callers keep the cell
 * of a label value and add to it, with no label hashing or validation per call. It exposes
 * itself to prom-client registries like a prom-client `Counter`.
 */
export class HotCounter {
  readonly name: string;
  readonly help: string;
  readonly type = 'counter';
  readonly aggregator = 'sum';
  readonly labelNames: readonly string[];
  readonly #label: string;
  readonly #cells = new Map<string, HotCounterCell>();

  constructor(options: HotCounterOptions) {
    this.name = options.name;
    this.help = options.help;
    this.#label = options.labelName;
    this.labelNames = [options.labelName];
    for (const registry of options.registers) {
      registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
    }
  }

  /** The cell of `labelValue`, created at 0. */
  cell(labelValue: string): HotCounterCell {
    let cell = this.#cells.get(labelValue);
    if (cell === undefined) {
      cell = { value: 0 };
      this.#cells.set(labelValue, cell);
    }
    return cell;
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
      values: [...this.#cells].map(([labelValue, cell]) => ({
        labels: { [this.#label]: labelValue },
        value: cell.value,
      })),
    });
  }

  reset(): void {
    this.#cells.clear();
  }
}
