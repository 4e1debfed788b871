/**
 * A batch of change-log rows this worker claimed together (one row of
 * `core.tb_observer_claim_batch`), as the source tracks it while its rows are out.
 */
export class ClaimBatch {
  readonly id: string;
  /** Rows in the batch, finished or not. */
  readonly size: number;
  /**
   * Rows handed out whose finish is not registered yet: a `done` registers when it joins a
   * flush, a retry or park once its statement returned. At zero the batch row can go.
   */
  open = 0;
  /** False once the batch row is deleted or its lease passed to another worker. */
  live = true;
  readonly #finished: Uint8Array;

  constructor(id: string, size: number) {
    this.id = id;
    this.size = size;
    this.#finished = new Uint8Array(size);
  }

  /** Hands out the row at `position`. */
  handOut(position: number): void {
    if (this.#finished[position] === 1) this.#finished[position] = 0;
    this.open += 1;
  }

  /** Registers the row at `position` as finished; false when it already was (a retried write). */
  finish(position: number): boolean {
    if (this.#finished[position] === 1) return false;
    this.#finished[position] = 1;
    this.open -= 1;
    return true;
  }

  /** The `finished` bits to OR in for `positions`, as PostgreSQL's bit-string text. */
  mask(positions: readonly number[]): string {
    const bits = new Uint8Array(this.size).fill(48);
    for (const position of positions) bits[position] = 49;
    return DECODER.decode(bits);
  }
}

const DECODER = new TextDecoder();

/** What a delivery settles: its row's place in a batch, or a row claimed alone. */
export type ClaimTarget =
  | { readonly batch: ClaimBatch; readonly position: number; readonly pk: string }
  | { readonly batch: undefined; readonly pk: string };
