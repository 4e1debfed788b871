import { makeData, type Data, type Field, type List, type Struct } from 'apache-arrow';
import type { ColumnBuilder } from './column-builder.js';
import { Validity } from './validity.js';

/**
 * Values of a nested column arrive as JSON text at the top level (the SQL selects the narrowed
 * document) and as parsed values below it; text that is not JSON is null.
 */
function parsed(value: unknown, top: boolean): unknown {
  if (!top || typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return null;
  }
}

/** A Struct column: one child builder per field, filled from the keys of a JSON object. */
export class StructBuilder implements ColumnBuilder {
  readonly field: Field;
  length = 0;
  readonly #children: readonly { key: string; builder: ColumnBuilder }[];
  readonly #validity = new Validity(64);
  readonly #top: boolean;

  constructor(field: Field, children: readonly ColumnBuilder[], top: boolean) {
    this.field = field;
    this.#children = children.map((builder) => ({ key: builder.field.name, builder }));
    this.#top = top;
  }

  get byteSize(): number {
    let bytes = this.length >> 3;
    for (const { builder } of this.#children) bytes += builder.byteSize;
    return bytes;
  }

  appendText(bytes: Buffer, start: number, end: number): void {
    this.append(bytes.toString('utf8', start, end));
  }

  append(value: unknown): void {
    const object = parsed(value, this.#top);
    const valid = typeof object === 'object' && object !== null && !Array.isArray(object);
    const record = valid ? (object as Record<string, unknown>) : undefined;
    for (const { key, builder } of this.#children) {
      builder.append(record !== undefined && Object.hasOwn(record, key) ? record[key] : null);
    }
    this.#validity.set(this.length++, valid);
  }

  finish(): Data {
    const length = this.length;
    const { nullCount, nullBitmap } = this.#validity.take(length);
    this.length = 0;
    return makeData({
      type: this.field.type as Struct,
      length,
      nullCount,
      nullBitmap,
      children: this.#children.map(({ builder }) => builder.finish()),
    });
  }
}

/** A List column: offsets into one child builder, filled from JSON arrays. */
export class ListBuilder implements ColumnBuilder {
  readonly field: Field;
  length = 0;
  readonly #item: ColumnBuilder;
  #offsets = new Int32Array(1025);
  readonly #validity = new Validity(64);
  readonly #top: boolean;

  constructor(field: Field, item: ColumnBuilder, top: boolean) {
    this.field = field;
    this.#item = item;
    this.#top = top;
  }

  get byteSize(): number {
    return this.length * 4 + this.#item.byteSize;
  }

  appendText(bytes: Buffer, start: number, end: number): void {
    this.append(bytes.toString('utf8', start, end));
  }

  append(value: unknown): void {
    const array = parsed(value, this.#top);
    const index = this.length++;
    if (index + 2 > this.#offsets.length) {
      const grown = new Int32Array(this.#offsets.length * 2);
      grown.set(this.#offsets);
      this.#offsets = grown;
    }
    const valid = Array.isArray(array);
    if (valid) for (const item of array as unknown[]) this.#item.append(item);
    this.#offsets[index + 1] = this.#item.length;
    this.#validity.set(index, valid);
  }

  finish(): Data {
    const length = this.length;
    const { nullCount, nullBitmap } = this.#validity.take(length);
    const valueOffsets = this.#offsets.slice(0, length + 1);
    this.#offsets = new Int32Array(1025);
    this.length = 0;
    return makeData({
      type: this.field.type as List,
      length,
      nullCount,
      nullBitmap,
      valueOffsets,
      child: this.#item.finish(),
    });
  }
}
