import {
  Binary,
  Bool,
  Date_,
  DateUnit,
  Decimal,
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  List,
  makeData,
  Struct,
  Time,
  TimeUnit,
  Timestamp,
  Utf8,
  type Data,
  type DataType,
} from 'apache-arrow';
import { Validity } from './validity.js';
import {
  isoTimestampMicrosBytes,
  plainDecimalBytes,
  parseBool,
  parseDateDays,
  decimalInteger,
  parseDecimalUnscaled,
  parseFloat64,
  parseInt64,
  parseTimeMicros,
  parseTimestampMicros,
} from './pg-text.js';
import { ListBuilder, StructBuilder } from './nested-builder.js';

/**
 * Collects one column's values for a record batch straight into Arrow buffers (no per-value
 * objects). `append` never throws: a value it cannot read is stored as null.
 */
export interface ColumnBuilder {
  readonly field: Field;
  readonly length: number;
  /** Bytes the column's buffers hold so far. */
  readonly byteSize: number;
  append(value: unknown): void;
  /**
   * Appends a value given as PostgreSQL's text form in `bytes[start, end)` (UTF-8, not NULL),
   * as a COPY stream carries it: text columns copy the bytes, integers are read from them, and
   * other kinds read a string of them. Never throws.
   */
  appendText(bytes: Buffer, start: number, end: number): void;
  /** The column as Arrow `Data`; the builder starts empty again. */
  finish(): Data;
}

/** The Arrow types the builders produce. */
export type ColumnKind =
  | { kind: 'int16' }
  | { kind: 'int32' }
  | { kind: 'int64' }
  | { kind: 'float32' }
  | { kind: 'float64' }
  | { kind: 'bool' }
  | { kind: 'utf8' }
  | { kind: 'binary' }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'timestamp'; timezone: string | null }
  | { kind: 'date' }
  | { kind: 'time' }
  | { kind: 'struct'; fields: readonly { readonly name: string; readonly kind: ColumnKind }[] }
  | { kind: 'list'; item: ColumnKind };

/** The Arrow data type of a {@link ColumnKind}. */
export function arrowTypeOf(kind: ColumnKind): DataType {
  switch (kind.kind) {
    case 'int16':
      return new Int16();
    case 'int32':
      return new Int32();
    case 'int64':
      return new Int64();
    case 'float32':
      return new Float32();
    case 'float64':
      return new Float64();
    case 'bool':
      return new Bool();
    case 'utf8':
      return new Utf8();
    case 'binary':
      return new Binary();
    case 'decimal':
      return new Decimal(kind.scale, kind.precision, 128);
    case 'timestamp':
      return new Timestamp(TimeUnit.MICROSECOND, kind.timezone);
    case 'date':
      return new Date_(DateUnit.DAY);
    case 'time':
      return new Time(TimeUnit.MICROSECOND, 64);
    case 'struct':
      return new Struct(kind.fields.map((f) => new Field(f.name, arrowTypeOf(f.kind), true)));
    case 'list':
      return new List(new Field('item', arrowTypeOf(kind.item), true));
  }
}

const TWO_32 = 4_294_967_296;

/** Typed views over one growing buffer of a fixed-width column. */
class Words {
  u8: Uint8Array;
  i16: Int16Array;
  i32: Int32Array;
  f32: Float32Array;
  f64: Float64Array;

  constructor(bytes: number) {
    const buffer = new ArrayBuffer(bytes);
    this.u8 = new Uint8Array(buffer);
    this.i16 = new Int16Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.f32 = new Float32Array(buffer);
    this.f64 = new Float64Array(buffer);
  }

  grownTo(bytes: number): Words {
    const grown = new Words(Math.max(this.u8.length * 2, bytes));
    grown.u8.set(this.u8);
    return grown;
  }
}

type Writer = (words: Words, index: number, value: unknown) => boolean;
/** Reads a value from PostgreSQL text bytes into what the writer takes. */
type TextReader = (bytes: Buffer, start: number, end: number) => unknown;

/**
 * The text of a fixed-width value (numbers, dates, times, decimals) as Latin-1: their valid forms
 * are ASCII, and text that is not ASCII is no valid value under either decoding.
 */
const asciiText: TextReader = (bytes, start, end) => bytes.toString('latin1', start, end);

/**
 * A boolean read from bytes: PostgreSQL's `t`/`f`, or JSON's `true`/`false` (a `->>` of a JSON
 * document); other text as a string for the full parser.
 */
const boolText: TextReader = (bytes, start, end) => {
  const first = bytes[start];
  const length = end - start;
  if (length === 1 && first === 116) return true;
  if (length === 1 && first === 102) return false;
  if (length === 4 && first === 116 && bytes[start + 1] === 114 && bytes[start + 2] === 117) {
    if (bytes[start + 3] === 101) return true;
  }
  if (length === 5 && first === 102 && bytes[start + 1] === 97 && bytes[start + 4] === 101) {
    if (bytes[start + 2] === 108 && bytes[start + 3] === 115) return false;
  }
  return bytes.toString('latin1', start, end);
};

/** A timestamp read from bytes in its common shape; other text as a string for the full parser. */
const timestampText: TextReader = (bytes, start, end) =>
  isoTimestampMicrosBytes(bytes, start, end) ?? bytes.toString('latin1', start, end);

/** A plain decimal read from bytes; other text (exponents, NaN, Infinity) as a string. */
const floatText: TextReader = (bytes, start, end) =>
  plainDecimalBytes(bytes, start, end) ?? bytes.toString('latin1', start, end);

/**
 * A decimal integer of up to 15 digits read from bytes (no string); longer or other text comes
 * back as a string for the full parser.
 */
const integerText: TextReader = (bytes, start, end) => {
  let at = start;
  const negative = bytes[at] === 45;
  if (negative) at++;
  if (at === end || end - at > 15) return bytes.toString('latin1', start, end);
  let value = 0;
  for (; at < end; at++) {
    const digit = (bytes[at] ?? 0) - 48;
    if (digit < 0 || digit > 9) return bytes.toString('latin1', start, end);
    value = value * 10 + digit;
  }
  return negative ? -value : value;
};

/**
 * Fixed-width columns (bit-packed for booleans). 64-bit values are written as two 32-bit words,
 * so the common case never allocates a BigInt.
 */
class FixedBuilder implements ColumnBuilder {
  readonly field: Field;
  length = 0;
  #words = new Words(8 * 1024);
  readonly #validity = new Validity(128);
  readonly #bits: number;
  readonly #write: Writer;
  readonly #readText: TextReader;

  constructor(field: Field, bitsPerValue: number, write: Writer, readText = asciiText) {
    this.field = field;
    this.#bits = bitsPerValue;
    this.#write = write;
    this.#readText = readText;
  }

  appendText(bytes: Buffer, start: number, end: number): void {
    this.append(this.#readText(bytes, start, end));
  }

  get byteSize(): number {
    return Math.ceil((this.length * this.#bits) / 8);
  }

  append(value: unknown): void {
    const index = this.length++;
    const needed = Math.ceil(((index + 1) * this.#bits) / 8);
    if (needed > this.#words.u8.length) this.#words = this.#words.grownTo(needed);
    const valid = value !== null && value !== undefined && this.#write(this.#words, index, value);
    this.#validity.set(index, valid);
  }

  finish(): Data {
    const length = this.length;
    const { nullCount, nullBitmap } = this.#validity.take(length);
    const used = Math.ceil((length * this.#bits) / 8);
    // The batch keeps the filled buffer (a view, no copy); the next batch starts with a buffer
    // of the size this one needed, so a steady stream grows no buffer and copies none.
    const words = this.#words;
    const buffer = words.u8.buffer;
    const type = this.field.type as DataType;
    let data: ArrayBufferView;
    if (type instanceof Float64) data = new Float64Array(buffer, 0, length);
    else if (this.#bits === 64) data = new BigInt64Array(buffer, 0, length);
    else if (this.#bits === 128) data = new Uint32Array(buffer, 0, length * 4);
    else if (this.#bits === 32 && type instanceof Float32)
      data = new Float32Array(buffer, 0, length);
    else if (this.#bits === 32) data = new Int32Array(buffer, 0, length);
    else if (this.#bits === 16) data = new Int16Array(buffer, 0, length);
    else data = new Uint8Array(buffer, 0, used);
    this.#words = new Words(Math.max(8 * 1024, (used + 7) & ~7));
    this.length = 0;
    return makeData({ type, length, nullCount, nullBitmap, data } as never);
  }
}

function writeInt64(words: Int32Array, index: number, value: number | bigint): void {
  if (typeof value === 'number') {
    words[index * 2] = (value % TWO_32) | 0;
    words[index * 2 + 1] = Math.floor(value / TWO_32);
  } else {
    words[index * 2] = Number(BigInt.asIntN(32, value));
    words[index * 2 + 1] = Number(BigInt.asIntN(32, value >> 32n));
  }
}

function int64Builder(
  field: Field,
  parse: (value: unknown) => number | bigint | undefined,
  readText?: TextReader,
) {
  return new FixedBuilder(
    field,
    64,
    (words, index, value) => {
      const parsed = parse(value);
      if (parsed === undefined) return false;
      writeInt64(words.i32, index, parsed);
      return true;
    },
    readText,
  );
}

function integer(value: unknown, min: number, max: number): number | undefined {
  const parsed =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.length <= 15
        ? decimalInteger(value)
        : NaN;
  return parsed !== undefined && Number.isInteger(parsed) && parsed >= min && parsed <= max
    ? parsed
    : undefined;
}

/** Variable-width columns: UTF-8 text or binary. */
class VarBuilder implements ColumnBuilder {
  readonly field: Field;
  length = 0;
  #offsets = new Int32Array(1025);
  #data = Buffer.allocUnsafeSlow(16 * 1024);
  #used = 0;
  readonly #validity = new Validity(128);
  readonly #binary: boolean;

  constructor(field: Field, binary: boolean) {
    this.field = field;
    this.#binary = binary;
  }

  get byteSize(): number {
    return this.#used + this.length * 4;
  }

  #reserve(bytes: number): void {
    if (this.#used + bytes <= this.#data.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.#data.length * 2, this.#used + bytes));
    this.#data.copy(grown, 0, 0, this.#used);
    this.#data = grown;
  }

  appendText(bytes: Buffer, start: number, end: number): void {
    if (this.#binary) {
      this.append(bytes.toString('latin1', start, end));
      return;
    }
    // UTF-8 in, UTF-8 out: the bytes are copied as they are.
    const index = this.#nextIndex();
    this.#reserve(end - start);
    this.#used += bytes.copy(this.#data, this.#used, start, end);
    this.#offsets[index + 1] = this.#used;
    this.#validity.set(index, true);
  }

  #nextIndex(): number {
    const index = this.length++;
    if (index + 2 > this.#offsets.length) {
      const grown = new Int32Array(this.#offsets.length * 2);
      grown.set(this.#offsets);
      this.#offsets = grown;
    }
    return index;
  }

  append(value: unknown): void {
    const index = this.#nextIndex();
    let valid = value !== null && value !== undefined;
    if (valid) {
      if (this.#binary) {
        const bytes = toBytes(value);
        if (bytes === undefined) valid = false;
        else {
          this.#reserve(bytes.byteLength);
          this.#data.set(bytes, this.#used);
          this.#used += bytes.byteLength;
        }
      } else {
        const text = toText(value);
        this.#reserve(text.length * 3);
        this.#used = writeText(this.#data, this.#used, text);
      }
    }
    this.#offsets[index + 1] = this.#used;
    this.#validity.set(index, valid);
  }

  finish(): Data {
    const length = this.length;
    const { nullCount, nullBitmap } = this.#validity.take(length);
    // Views of the filled buffers go to the batch (no copy); the next batch starts with buffers
    // of the sizes this one needed.
    const valueOffsets = this.#offsets.subarray(0, length + 1);
    const data = new Uint8Array(this.#data.buffer, this.#data.byteOffset, this.#used);
    this.#offsets = new Int32Array(Math.max(1025, length + 1));
    this.#data = Buffer.allocUnsafeSlow(Math.max(16 * 1024, this.#used + 64));
    this.length = 0;
    this.#used = 0;
    return makeData({
      type: this.field.type as Utf8,
      length,
      nullCount,
      nullBitmap,
      valueOffsets,
      data,
    } as never);
  }
}

/**
 * Writes `text` as UTF-8 at `at`; returns the end. Short ASCII text (most column values) is
 * copied code unit by code unit, cheaper than a call into `Buffer#write`.
 */
function writeText(target: Buffer, at: number, text: string): number {
  const length = text.length;
  if (length <= 64) {
    let i = 0;
    for (; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code > 127) break;
      target[at + i] = code;
    }
    if (i === length) return at + length;
  }
  return at + target.write(text, at, 'utf8');
}

function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return String(value);
  }
  if (value instanceof Date) return value.toISOString();
  try {
    return JSON.stringify(value, (_key, item: unknown) =>
      typeof item === 'bigint' ? item.toString() : item,
    );
  } catch {
    return String(value);
  }
}

function toBytes(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') {
    // PostgreSQL's bytea hex output: \x0a1b…
    if (value.startsWith('\\x')) return Buffer.from(value.slice(2), 'hex');
    return Buffer.from(value, 'utf8');
  }
  return undefined;
}

const decimalScratch = new BigUint64Array(2);
const decimalWords = new Int32Array(decimalScratch.buffer);

/**
 * A builder for one column of `kind`. Struct and List columns take JSON text at the top level
 * (`top`) and parsed values inside.
 */
export function createColumnBuilder(name: string, kind: ColumnKind, top = true): ColumnBuilder {
  const field = new Field(name, arrowTypeOf(kind), true);
  switch (kind.kind) {
    case 'struct':
      return new StructBuilder(
        field,
        kind.fields.map((child) => createColumnBuilder(child.name, child.kind, false)),
        top,
      );
    case 'list':
      return new ListBuilder(field, createColumnBuilder('item', kind.item, false), top);
    case 'int16':
      return new FixedBuilder(
        field,
        16,
        (words, index, value) => {
          const parsed = integer(value, -32_768, 32_767);
          if (parsed === undefined) return false;
          words.i16[index] = parsed;
          return true;
        },
        integerText,
      );
    case 'int32':
      return new FixedBuilder(
        field,
        32,
        (words, index, value) => {
          const parsed = integer(value, -2_147_483_648, 2_147_483_647);
          if (parsed === undefined) return false;
          words.i32[index] = parsed;
          return true;
        },
        integerText,
      );
    case 'int64':
      return int64Builder(field, parseInt64, integerText);
    case 'timestamp':
      return int64Builder(field, parseTimestampMicros, timestampText);
    case 'time':
      return int64Builder(field, parseTimeMicros);
    case 'float32':
      return new FixedBuilder(
        field,
        32,
        (words, index, value) => {
          const parsed = parseFloat64(value);
          if (parsed === undefined) return false;
          words.f32[index] = parsed;
          return true;
        },
        floatText,
      );
    case 'float64':
      return new FixedBuilder(
        field,
        64,
        (words, index, value) => {
          const parsed = parseFloat64(value);
          if (parsed === undefined) return false;
          words.f64[index] = parsed;
          return true;
        },
        floatText,
      );
    case 'date':
      return new FixedBuilder(field, 32, (words, index, value) => {
        const parsed = parseDateDays(value);
        if (parsed === undefined) return false;
        words.i32[index] = parsed;
        return true;
      });
    case 'bool':
      return new FixedBuilder(
        field,
        1,
        (words, index, value) => {
          const parsed = parseBool(value);
          if (parsed === undefined) return false;
          const byte = index >> 3;
          const bit = 1 << (index & 7);
          words.u8[byte] = parsed ? (words.u8[byte] ?? 0) | bit : (words.u8[byte] ?? 0) & ~bit;
          return true;
        },
        boolText,
      );
    case 'decimal': {
      const limit = 10n ** BigInt(kind.precision);
      return new FixedBuilder(field, 128, (words, index, value) => {
        const unscaled = parseDecimalUnscaled(value, kind.scale);
        if (unscaled === undefined || unscaled >= limit || unscaled <= -limit) return false;
        decimalScratch[0] = BigInt.asUintN(64, unscaled);
        decimalScratch[1] = BigInt.asUintN(64, unscaled >> 64n);
        words.i32.set(decimalWords, index * 4);
        return true;
      });
    }
    case 'utf8':
      return new VarBuilder(field, false);
    case 'binary':
      return new VarBuilder(field, true);
  }
}
