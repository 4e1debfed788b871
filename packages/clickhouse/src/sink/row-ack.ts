/**
 * Settles a group of rows (one `write`, one delivery, one Arrow batch) once every row of it
 * was accepted by ClickHouse or dead-lettered, or once one of them failed for good.
 */
export class RowAck {
  #pending: number;
  #settled = false;
  readonly #onAccepted: () => void;
  readonly #onFailed: (error: unknown) => void;

  constructor(rows: number, onAccepted: () => void, onFailed: (error: unknown) => void) {
    this.#pending = rows;
    this.#onAccepted = onAccepted;
    this.#onFailed = onFailed;
    if (rows === 0) this.#finish();
  }

  /** `count` rows of the group were stored (or dead-lettered). */
  accepted(count = 1): void {
    if (this.#settled) return;
    this.#pending -= count;
    if (this.#pending <= 0) this.#finish();
  }

  /** A row of the group could not be stored: the whole group fails (it will be re-sent). */
  failed(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#onFailed(error);
  }

  #finish(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#onAccepted();
  }
}
