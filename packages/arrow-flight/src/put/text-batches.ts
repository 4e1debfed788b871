import {
  DataType,
  Field,
  makeBuilder,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Utf8,
  type Builder,
  type Data,
} from 'apache-arrow';
import { FlightError } from '../errors.js';
import { HAS_DEFAULT_METADATA, PG_TYPE_METADATA } from './target-columns.js';

/** One row of text values (`null` = SQL NULL) and the line of the source it ends on. */
export interface TextRow {
  readonly values: readonly (string | null)[];
  readonly line: number;
}

/** Options of {@link textRowsToBatches}. */
export interface TextBatchesOptions {
  /** Rows per record batch. @defaultValue 10000 */
  readonly batchRows?: number | undefined;
  /** Called after each batch is built, with the rows so far and the batch's first line. */
  readonly onBatch?: ((rows: number, firstLine: number) => void) | undefined;
}

const invalid = (message: string) => new FlightError('INVALID_ARGUMENT', message);

/**
 * The schema text rows with this header are sent as: the header's columns of `target` (an
 * upload schema from GetSchema of an ingest command), integers, floats and booleans typed,
 * everything else as text that PostgreSQL parses with its own rules (dates, timestamps,
 * numerics keep every digit).
 * @throws {FlightError} `INVALID_ARGUMENT` for a header naming an unknown or repeated column, or
 * leaving out a `NOT NULL` column without a default.
 */
export function textBatchSchema(target: Schema, header: readonly string[]): Schema {
  const byName = new Map(target.fields.map((field) => [field.name, field]));
  const seen = new Set<string>();
  const fields = header.map((name, i) => {
    const field = byName.get(name);
    if (field === undefined) {
      throw invalid(
        `column ${String(i + 1)} ${JSON.stringify(name)} is not a column of the table (its columns: ${[...byName.keys()].join(', ')})`,
      );
    }
    if (seen.has(name)) throw invalid(`column ${String(i + 1)} ${JSON.stringify(name)} repeats`);
    seen.add(name);
    const type = field.type as DataType;
    const wire =
      DataType.isInt(type) || DataType.isFloat(type) || DataType.isBool(type) ? type : new Utf8();
    return new Field(name, wire, true, field.metadata);
  });
  for (const field of target.fields) {
    if (
      !field.nullable &&
      !seen.has(field.name) &&
      field.metadata.get(HAS_DEFAULT_METADATA) !== 'true'
    ) {
      throw invalid(
        `column ${JSON.stringify(field.name)} is NOT NULL without a default, and the header leaves it out`,
      );
    }
  }
  return new Schema(fields);
}

const INTEGER = /^\s*[+-]?\d+\s*$/;
const NUMERIC = /^\s*([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?(NaN|Infinity|inf))\s*$/i;
const TRUE = new Set(['t', 'true', 'y', 'yes', 'on', '1']);
const FALSE = new Set(['f', 'false', 'n', 'no', 'off', '0']);
const UUID = /^\s*\{?[0-9a-f]{8}(-?[0-9a-f]{4}){3}-?[0-9a-f]{12}\}?\s*$/i;
const intRange = (bits: number): readonly [bigint, bigint] => [
  -(2n ** BigInt(bits - 1)),
  2n ** BigInt(bits - 1) - 1n,
];

/** A converter from text to the value the column's builder takes; throws a reason. */
function converterOf(field: Field): (text: string) => unknown {
  const type = field.type as DataType;
  if (DataType.isInt(type)) {
    const [min, max] = intRange(type.bitWidth);
    return (text) => {
      if (!INTEGER.test(text)) throw new Error('is not an integer');
      const value = BigInt(text.trim());
      if (value < min || value > max) throw new Error(`is out of range for ${String(type)}`);
      return type.bitWidth === 64 ? value : Number(value);
    };
  }
  if (DataType.isFloat(type)) {
    return (text) => {
      if (!NUMERIC.test(text)) throw new Error('is not a number');
      const trimmed = text.trim().toLowerCase().replace(/^\+/, '');
      if (trimmed.endsWith('inf') || trimmed.endsWith('infinity')) {
        return trimmed.startsWith('-') ? -Infinity : Infinity;
      }
      return trimmed.endsWith('nan') ? Number.NaN : Number(trimmed);
    };
  }
  if (DataType.isBool(type)) {
    return (text) => {
      const word = text.trim().toLowerCase();
      if (TRUE.has(word)) return true;
      if (FALSE.has(word)) return false;
      throw new Error('is not a boolean (true/false, t/f, yes/no, on/off, 1/0)');
    };
  }
  // Text for PostgreSQL; the cheap checks here give the line and column of the usual mistakes.
  const pgType = field.metadata.get(PG_TYPE_METADATA) ?? '';
  if (pgType.startsWith('numeric')) {
    return (text) => {
      if (!NUMERIC.test(text)) throw new Error('is not a number');
      return text;
    };
  }
  if (pgType === 'uuid') {
    return (text) => {
      if (!UUID.test(text)) throw new Error('is not a UUID');
      return text;
    };
  }
  if (pgType === 'json' || pgType === 'jsonb') {
    return (text) => {
      try {
        JSON.parse(text);
      } catch {
        throw new Error('is not JSON');
      }
      return text;
    };
  }
  return (text) => text;
}

function quoted(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

/**
 * Turns text rows (parsed CSV) into record batches of `schema` (from
 * {@link textBatchSchema}), `batchRows` rows at a time, holding one batch in memory.
 * @throws {FlightError} `INVALID_ARGUMENT` naming the line and column of a value its column
 * cannot take, or a row with the wrong number of values.
 */
export async function* textRowsToBatches(
  schema: Schema,
  rows: AsyncIterable<TextRow> | Iterable<TextRow>,
  options: TextBatchesOptions = {},
): AsyncGenerator<RecordBatch> {
  const batchRows = options.batchRows ?? 10_000;
  const columns = schema.fields.map((field) => ({
    name: field.name,
    convert: converterOf(field),
    builder: makeBuilder({ type: field.type as DataType, nullValues: [null] }) as Builder,
  }));
  const type = new Struct(schema.fields);
  let pending = 0;
  let total = 0;
  let firstLine = 0;
  const flush = (): RecordBatch => {
    const children: Data[] = columns.map((column) => column.builder.flush() as Data);
    const batch = new RecordBatch(schema, makeData({ type, length: pending, children }));
    total += pending;
    options.onBatch?.(total, firstLine);
    pending = 0;
    return batch;
  };
  for await (const row of rows) {
    if (row.values.length !== columns.length) {
      throw invalid(
        `line ${String(row.line)}: ${String(row.values.length)} value(s), the header has ${String(columns.length)}`,
      );
    }
    if (pending === 0) firstLine = row.line;
    for (const [i, column] of columns.entries()) {
      const text = row.values[i] ?? null;
      let value: unknown = null;
      if (text !== null) {
        try {
          value = column.convert(text);
        } catch (reason) {
          throw invalid(
            `line ${String(row.line)}, column ${JSON.stringify(column.name)}: ${quoted(text)} ${(reason as Error).message}`,
          );
        }
      }
      column.builder.append(value);
    }
    pending += 1;
    if (pending >= batchRows) yield flush();
  }
  if (pending > 0) yield flush();
}
