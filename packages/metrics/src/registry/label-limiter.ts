/** Label value that stands for every value past a {@link LabelLimiter}'s limit. */
export const OVERFLOW_LABEL = 'other';

/**
 * Keeps a label's cardinality bounded: the first `max` distinct values pass through, later new
 * values are reported as {@link OVERFLOW_LABEL}, so a misbehaving caller cannot grow a series
 * per id or URL.
 */
export class LabelLimiter {
  readonly #max: number;
  readonly #seen = new Set<string>();

  constructor(max: number) {
    this.#max = max;
  }

  /** The value to use as the label. */
  value(raw: string): string {
    if (this.#seen.has(raw)) return raw;
    if (this.#seen.size >= this.#max) return OVERFLOW_LABEL;
    this.#seen.add(raw);
    return raw;
  }
}
