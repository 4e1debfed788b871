import { makeData, RecordBatch, Schema, Struct } from 'apache-arrow';
import type { BatchLimits } from '../datasets/flight-stream.js';
import { createColumnBuilder, type ColumnBuilder, type ColumnKind } from './column-builder.js';

/** A column of a stream: its name and Arrow kind. */
export interface StreamColumn {
  readonly name: string;
  readonly kind: ColumnKind;
}

/**
 * Turns rows (arrays in column order) into record batches cut at `limits.rows` rows or about
 * `limits.bytes` bytes, whichever comes first.
 */
export class RecordBatcher {
  readonly schema: Schema;
  readonly #builders: ColumnBuilder[];
  readonly #limits: BatchLimits;
  #rows = 0;
  #total = 0;

  constructor(columns: readonly StreamColumn[], limits: BatchLimits) {
    this.#builders = columns.map((column) => createColumnBuilder(column.name, column.kind));
    this.schema = new Schema(this.#builders.map((builder) => builder.field));
    this.#limits = limits;
  }

  get pending(): number {
    return this.#rows;
  }

  /** Rows appended since the batcher was made. */
  get total(): number {
    return this.#total;
  }

  /** The column builders, for a caller that fills a row field by field (then {@link endRow}). */
  get builders(): readonly ColumnBuilder[] {
    return this.#builders;
  }

  /** Adds one row; returns a full batch when the row completed one. */
  append(row: readonly unknown[]): RecordBatch | undefined {
    const builders = this.#builders;
    for (let i = 0; i < builders.length; i++) builders[i]?.append(row[i]);
    return this.endRow();
  }

  /** Counts a row whose fields were appended to every builder; returns a full batch. */
  endRow(): RecordBatch | undefined {
    this.#rows++;
    this.#total++;
    if (this.#rows >= this.#limits.rows) return this.flush();
    // Summing column sizes per row would cost more than it saves; every 256 rows is enough.
    if ((this.#rows & 255) === 0 && this.#byteSize() >= this.#limits.bytes) return this.flush();
    return undefined;
  }

  #byteSize(): number {
    let bytes = 0;
    for (const builder of this.#builders) bytes += builder.byteSize;
    return bytes;
  }

  /** The rows so far as a batch (undefined when there are none). */
  flush(): RecordBatch | undefined {
    if (this.#rows === 0) return undefined;
    return this.#finish();
  }

  /**
   * A batch of no rows with every column present, for a message that only carries app
   * metadata. (apache-arrow's `new RecordBatch(schema)` does not build one: it throws.)
   */
  empty(): RecordBatch {
    if (this.#rows > 0) throw new Error('RecordBatcher.empty: rows are pending; flush first');
    return this.#finish();
  }

  #finish(): RecordBatch {
    const length = this.#rows;
    this.#rows = 0;
    const children = this.#builders.map((builder) => builder.finish());
    const data = makeData({
      type: new Struct(this.schema.fields),
      length,
      nullCount: 0,
      children,
    });
    return new RecordBatch(this.schema, data);
  }
}
