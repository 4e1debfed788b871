import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse } from 'csv-parse';
import type { RecordBatch } from 'apache-arrow';
import type { Command, CommandContext } from '../command.js';
import { importOptional } from '../context/import-optional.js';
import { CliError } from '../errors.js';
import { integer } from '../options/option-parsers.js';
import { print } from '../output/print.js';
import { createUploadProgress, type UploadProgress } from '../output/upload-progress.js';
import { CONNECTION, text, withClient, type FlightModule } from './flight-connection.js';

type Format = 'arrow' | 'csv';

function formatOf(file: string, given: string | undefined): Format {
  if (given !== undefined) {
    if (given !== 'arrow' && given !== 'csv') {
      throw new CliError('USAGE', `--format: expected arrow or csv, got ${JSON.stringify(given)}`);
    }
    return given;
  }
  return ['.csv', '.tsv'].includes(extname(file).toLowerCase()) ? 'csv' : 'arrow';
}

function targetOf(argument: string): { schema: string; table: string } {
  const parts = argument.split('.');
  const [schema, table] = parts.length === 2 ? parts : ['public', argument];
  if (parts.length > 2 || schema === '' || !table?.startsWith('tb_')) {
    throw new CliError(
      'USAGE',
      `table: expected a tb_ table (tb_orders or sales.tb_orders), got ${JSON.stringify(argument)}`,
    );
  }
  return { schema: schema ?? 'public', table };
}

/** Batches of an Arrow IPC file or stream, read from disk one at a time. */
async function* arrowBatches(file: string, progress: UploadProgress): AsyncGenerator<RecordBatch> {
  const { RecordBatchReader } = await importOptional(
    () => import('apache-arrow'),
    'apache-arrow',
    'fraiseql flight put',
  );
  const handle = await open(file);
  try {
    let reader;
    try {
      reader = await RecordBatchReader.from(handle);
      await reader.open();
    } catch (cause) {
      throw new CliError(
        'FAILED',
        `${file}: not an Arrow IPC file or stream (${(cause as Error).message}); CSV files need a .csv name or --format csv`,
        { cause },
      );
    }
    const total = reader.isFile() ? reader.numRecordBatches : undefined;
    let rows = 0;
    let index = 0;
    for await (const batch of reader) {
      yield batch;
      rows += batch.numRows;
      index += 1;
      progress.update(rows, total === undefined ? undefined : index / total);
    }
  } finally {
    await handle.close();
  }
}

interface CsvUpload {
  readonly batches: AsyncIterable<RecordBatch>;
  /** The first line of the batch starting at each row offset (for the server's row ranges). */
  readonly lineAt: (row: number) => number | undefined;
}

/** A CSV file as typed record batches, parsed as it streams from disk. */
async function csvUpload(
  flight: FlightModule,
  target: Awaited<ReturnType<InstanceType<FlightModule['FlightClient']>['getSchema']>>,
  file: string,
  delimiter: string,
  batchRows: number,
  progress: UploadProgress,
): Promise<CsvUpload> {
  const size = (await stat(file)).size;
  const parser = createReadStream(file).pipe(
    parse({
      delimiter,
      bom: true,
      info: true,
      skip_empty_lines: true,
      // As PostgreSQL's COPY … CSV: an empty unquoted field is NULL, a quoted "" is empty text.
      cast: (value, context) => (value === '' && !context.quoting ? null : value),
    }),
  );
  const records = (parser as AsyncIterable<{ record: (string | null)[]; info: { lines: number } }>)[
    Symbol.asyncIterator
  ]();
  const csvError = (cause: unknown) =>
    new CliError('FAILED', `${file}: ${(cause as Error).message}`, { cause });
  let first;
  try {
    first = await records.next();
  } catch (cause) {
    throw csvError(cause);
  }
  if (first.done === true) throw new CliError('FAILED', `${file}: empty (expected a header row)`);
  const header = first.value.record.map((name, i) => {
    if (name === null || name.trim() === '') {
      throw new CliError('FAILED', `${file}: header column ${String(i + 1)} has no name`);
    }
    return name.trim();
  });
  let schema;
  try {
    schema = flight.textBatchSchema(target, header);
  } catch (cause) {
    throw new CliError('FAILED', `${file}: header: ${(cause as Error).message}`, { cause });
  }
  async function* rows() {
    try {
      for (;;) {
        const next = await records.next();
        if (next.done === true) return;
        yield { values: next.value.record, line: next.value.info.lines };
      }
    } catch (cause) {
      throw csvError(cause);
    } finally {
      parser.destroy();
    }
  }
  const starts = new Map<number, number>();
  let sent = 0;
  const batches = flight.textRowsToBatches(schema, rows(), {
    batchRows,
    onBatch: (total, firstLine) => {
      starts.set(sent, firstLine);
      sent = total;
      progress.update(total, parser.info.bytes / Math.max(1, size));
    },
  });
  return { batches, lineAt: (row) => starts.get(row) };
}

async function upload(context: CommandContext): Promise<number> {
  const [argument = '', file = ''] = context.positionals;
  const { schema, table } = targetOf(argument);
  const format = formatOf(file, text(context.values.format));
  try {
    await stat(file);
  } catch (cause) {
    throw new CliError('NOT_FOUND', `${file}: no such file`, { cause });
  }
  const delimiter =
    text(context.values.delimiter) ?? (extname(file).toLowerCase() === '.tsv' ? '\t' : ',');
  const batchRows = Number(context.values['batch-rows']);
  return withClient(context, 'fraiseql flight put', async (flight, client) => {
    const descriptor = flight.commandDescriptor({ kind: 'ingest', table, schema });
    const progress = createUploadProgress(context.terminal, `${schema}.${table}`, {
      quiet: context.json,
    });
    let lineAt: (row: number) => number | undefined = () => undefined;
    let batches: AsyncIterable<RecordBatch>;
    if (format === 'csv') {
      const target = await client.getSchema(descriptor, { signal: context.signal });
      const csv = await csvUpload(flight, target, file, delimiter, batchRows, progress);
      batches = csv.batches;
      lineAt = csv.lineAt;
    } else {
      batches = arrowBatches(file, progress);
    }
    let results: Uint8Array[];
    try {
      results = await client.doPut(descriptor, batches, { signal: context.signal });
    } catch (error) {
      // The server names rows of the upload; a CSV's reader wants its lines.
      const range = /rows (\d+)–(\d+)/.exec((error as Error).message);
      const line = range === null ? undefined : lineAt(Number(range[1]));
      if (line !== undefined) {
        throw new CliError(
          'FAILED',
          `${(error as Error).message} (${file}: the batch starting at line ${String(line)})`,
          { cause: error },
        );
      }
      throw error;
    } finally {
      progress.done();
    }
    const rows = results[0] === undefined ? 0 : Number(flight.putUpdateCount(results[0]));
    print(context, { table: `${schema}.${table}`, file, rows }, () => {
      return `${String(rows)} row(s) written to ${schema}.${table}\n`;
    });
    return 0;
  });
}

/** `fraiseql flight put <table> <file>`: DoPut of an Arrow IPC or CSV file into a tb_ table. */
export const flightPutCommand: Command = {
  path: ['flight', 'put'],
  summary: 'upload an Arrow IPC or CSV file into a tb_ table the server allows (DoPut)',
  details:
    "The file streams from disk in batches; the upload is one transaction on the server, so it is all or nothing, and each row goes through the table's capture trigger (one change-log event per row). CSV needs a header row naming the columns; values are typed from the table's columns (the server's GetSchema), an empty unquoted field is NULL and a quoted \"\" is empty text, as with PostgreSQL's COPY. A value that does not fit is reported with its line and column, and nothing is written. Progress goes to standard error.",
  args: [
    { name: 'table', description: 'the tb_ table: tb_orders, or sales.tb_orders' },
    {
      name: 'file',
      description:
        'Arrow IPC file or stream (.arrow, .arrows), or CSV (.csv; .tsv is tab-separated)',
    },
  ],
  options: {
    ...CONNECTION,
    format: {
      type: 'string',
      value: 'arrow|csv',
      description: 'the file format (default: csv for .csv and .tsv, arrow otherwise)',
    },
    delimiter: {
      type: 'string',
      value: 'char',
      description: 'CSV field delimiter (default: a tab for .tsv, else a comma)',
    },
    'batch-rows': {
      type: 'string',
      value: 'n',
      default: '10000',
      parse: integer(1, 1_000_000),
      description: 'CSV rows per record batch',
    },
  },
  examples: [
    'fraiseql flight put tb_orders orders.csv',
    'fraiseql flight put sales.tb_orders orders.arrow --json',
  ],
  run: upload,
};
