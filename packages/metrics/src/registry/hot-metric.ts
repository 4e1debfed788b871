import type { Registry } from 'prom-client';

/** Options shared by the hot metrics. */
export interface HotMetricOptions {
  readonly name: string;
  readonly help: string;
  readonly labelName: string;
  readonly registers: readonly Registry[];
}

/**
 * The part {@link HotCounter} and {@link HotHistogram} share: one label, a cell per label value
 * kept by callers, and registration with prom-client registries as a metric object.
 */
export abstract class HotMetric<Cell> {
  readonly name: string;
  readonly help: string;
  readonly aggregator = 'sum';
  readonly labelNames: readonly string[];
  protected readonly label: string;
  protected readonly cells = new Map<string, Cell>();

  protected constructor(options: HotMetricOptions) {
    this.name = options.name;
    this.help = options.help;
    this.label = options.labelName;
    this.labelNames = [options.labelName];
  }

  /** Registers with the registries (call last in a subclass constructor). */
  protected register(registers: readonly Registry[]): void {
    for (const registry of registers) {
      registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
    }
  }

  /** A new, empty cell. */
  protected abstract newCell(): Cell;

  /** The cell of `labelValue`, created empty. */
  cell(labelValue: string): Cell {
    let cell = this.cells.get(labelValue);
    if (cell === undefined) {
      cell = this.newCell();
      this.cells.set(labelValue, cell);
    }
    return cell;
  }

  reset(): void {
    this.cells.clear();
  }
}
