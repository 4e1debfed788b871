/** A growing Arrow validity bitmap: one bit per value, set when the value is not null. */
export class Validity {
  readonly #initialBytes: number;
  bits: Uint8Array;
  nulls = 0;

  constructor(initialBytes: number) {
    this.#initialBytes = initialBytes;
    this.bits = new Uint8Array(initialBytes);
  }

  set(index: number, valid: boolean): void {
    const byte = index >> 3;
    if (byte >= this.bits.length) {
      const grown = new Uint8Array(Math.max(this.bits.length * 2, byte + 1));
      grown.set(this.bits);
      this.bits = grown;
    }
    if (valid) this.bits[byte] = (this.bits[byte] ?? 0) | (1 << (index & 7));
    else this.nulls++;
  }

  /** The bitmap of the first `length` values (none when nothing is null), and a fresh start. */
  take(length: number): { nullCount: number; nullBitmap: Uint8Array | undefined } {
    const bytes = (length + 7) >> 3;
    if (this.nulls === 0) {
      // Nothing to hand over: the bits are reused, cleared (only set bits were written).
      this.bits.fill(0, 0, bytes);
      return { nullCount: 0, nullBitmap: undefined };
    }
    const result = { nullCount: this.nulls, nullBitmap: this.bits.subarray(0, bytes) };
    this.bits = new Uint8Array(Math.max(this.#initialBytes, bytes));
    this.nulls = 0;
    return result;
  }
}
