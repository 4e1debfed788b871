import { writeFile } from 'node:fs/promises';
import type { Command } from '../command.js';
import { importOptional } from '../context/import-optional.js';
import { flightPutCommand } from './flight-put-command.js';
import { CONNECTION, text, withClient, type FlightModule } from './flight-connection.js';
import { CliError } from '../errors.js';
import { integer } from '../options/option-parsers.js';
import { formatTable } from '../output/format-table.js';
import { jsonReplacer, print } from '../output/print.js';

const DATASET = {
  name: 'dataset',
  description:
    'a path (view/va_orders, view/demo.va_order, events, events/tail) or a JSON command ({"kind":"events","entityTypes":["Order"]})',
};

interface Field {
  name: string;
  type: unknown;
  nullable: boolean;
}

/** The dataset argument as a descriptor, or a usage error saying what was expected. */
function descriptorOf(flight: FlightModule, dataset: string) {
  const trimmed = dataset.trim();
  if (trimmed.startsWith('{')) {
    let command: unknown;
    try {
      command = JSON.parse(trimmed);
    } catch {
      throw new CliError('USAGE', `dataset: ${JSON.stringify(dataset)} is not valid JSON`);
    }
    const kind = (command as { kind?: unknown } | null)?.kind;
    if (typeof kind !== 'string') {
      throw new CliError('USAGE', 'dataset: a JSON command needs "kind" (view, events, …)');
    }
    return flight.commandDescriptor(command as { kind: string });
  }
  const path = trimmed.split('/').filter((segment) => segment !== '');
  if (path.length === 0) {
    throw new CliError('USAGE', 'dataset: expected a path such as view/va_orders or events');
  }
  return flight.pathDescriptor(...path);
}

function fieldsOf(schema: { fields: readonly Field[] }) {
  return schema.fields.map((field) => ({
    name: field.name,
    type: String(field.type),
    nullable: field.nullable,
  }));
}

const list: Command = {
  path: ['flight', 'list'],
  summary: 'datasets a Flight server offers, with their columns',
  args: [{ name: 'filter', required: false, description: 'only paths containing this text' }],
  options: CONNECTION,
  examples: ['fraiseql flight list', 'fraiseql flight list view --json'],
  run: (context) =>
    withClient(context, 'fraiseql flight list', async (_flight, client) => {
      const flights: {
        path: string;
        totalRecords: number;
        columns: ReturnType<typeof fieldsOf>;
      }[] = [];
      for await (const info of client.listFlights(context.positionals[0] ?? '', {
        signal: context.signal,
      })) {
        flights.push({
          path: (info.descriptor?.path ?? []).join('/'),
          totalRecords: info.totalRecords,
          columns: fieldsOf(info.schema),
        });
      }
      print(context, flights, () =>
        flights.length === 0
          ? 'no datasets (or none this token may read)\n'
          : formatTable(
              ['DATASET', 'ROWS', 'COLUMNS'],
              flights.map((f) => [
                f.path,
                f.totalRecords < 0 ? '?' : f.totalRecords,
                f.columns.map((c) => c.name).join(', '),
              ]),
            ),
      );
      return 0;
    }),
};

const schema: Command = {
  path: ['flight', 'schema'],
  summary: 'the Arrow schema of a dataset',
  args: [DATASET],
  options: CONNECTION,
  examples: [
    'fraiseql flight schema view/va_orders',
    `fraiseql flight schema '{"kind":"view","view":"va_orders","columns":["id"]}' --json`,
  ],
  run: (context) =>
    withClient(context, 'fraiseql flight schema', async (flight, client) => {
      const dataset = context.positionals[0] ?? '';
      const found = await client.getSchema(descriptorOf(flight, dataset), {
        signal: context.signal,
      });
      const fields = fieldsOf(found);
      print(context, { dataset, fields }, () =>
        formatTable(
          ['COLUMN', 'TYPE', 'NULLABLE'],
          fields.map((f) => [f.name, f.type, f.nullable ? 'yes' : 'no']),
        ),
      );
      return 0;
    }),
};

function cell(value: unknown): unknown {
  if (value === null || value === undefined) return '';
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value, jsonReplacer);
  return value;
}

const get: Command = {
  path: ['flight', 'get'],
  summary: 'read a dataset: write an Arrow IPC file, or print its rows (a live tail until Ctrl-C)',
  details:
    'With --output the rows go to an Arrow IPC file (readable by pyarrow, DuckDB, Polars, apache-arrow); otherwise they are printed as a table (--json: one JSON array, or one JSON object per line for a live tail). A live tail (events/tail, or "tail": true) prints batches as events commit, with the resume position of each on standard error, until interrupted.',
  args: [DATASET],
  options: {
    ...CONNECTION,
    output: {
      type: 'string',
      short: 'o',
      value: 'file',
      description:
        'write an Arrow IPC file (.arrow) instead of printing; a name ending in .arrows gets the IPC stream format',
    },
    'max-rows': {
      type: 'string',
      value: 'n',
      default: '50',
      parse: integer(1, 1_000_000),
      description: 'most rows printed (without --output)',
    },
  },
  examples: [
    'fraiseql flight get view/va_orders -o orders.arrow',
    'fraiseql flight get events --json',
    `fraiseql flight get '{"kind":"events","tail":true,"entityTypes":["Order"]}'`,
  ],
  run: (context) =>
    withClient(context, 'fraiseql flight get', async (flight, client) => {
      const dataset = context.positionals[0] ?? '';
      const descriptor = descriptorOf(flight, dataset);
      const tail =
        dataset.trim().replace(/\/+$/, '') === 'events/tail' ||
        (dataset.trim().startsWith('{') &&
          (JSON.parse(dataset) as { tail?: unknown }).tail === true);
      const output = text(context.values.output);
      if (tail && output !== undefined) {
        throw new CliError(
          'USAGE',
          '--output: a live tail never ends, so it cannot be written as one file; read a range (events, or "tail": false) or drop --output',
        );
      }
      const info = await client.getFlightInfo(descriptor, { signal: context.signal });
      const ticket = info.endpoints[0]?.ticket ?? new Uint8Array(0);
      if (output !== undefined) {
        const { tableToIPC } = await importOptional(
          () => import('apache-arrow'),
          'apache-arrow',
          'fraiseql flight get --output',
        );
        const table = await client.doGetTable(ticket, { signal: context.signal });
        // `.arrows` is the IPC stream format; anything else the IPC file format, which cannot
        // hold a dictionary column whose dictionary changes between batches.
        const format = output.endsWith('.arrows') ? 'stream' : 'file';
        let bytes: Uint8Array;
        try {
          bytes = tableToIPC(table, format);
        } catch (cause) {
          throw new CliError(
            'FAILED',
            `cannot write ${output} as an Arrow IPC file: ${(cause as Error).message.trim()}; name it .arrows to write the IPC stream format`,
            { cause },
          );
        }
        await writeFile(output, bytes);
        print(context, { dataset, output, rows: table.numRows }, () => {
          return `${String(table.numRows)} row(s) written to ${output}\n`;
        });
        return 0;
      }
      const max = Number(context.values['max-rows']);
      const rows: Record<string, unknown>[] = [];
      let total = 0;
      let header: string[] = [];
      try {
        for await (const { batch, appMetadata } of client.doGetWithMetadata(ticket, {
          signal: context.signal,
        })) {
          header = batch.schema.fields.map((field) => field.name);
          const batchRows = batch.toArray().map((row) => row.toJSON() as Record<string, unknown>);
          total += batchRows.length;
          if (tail) {
            if (context.json) {
              for (const row of batchRows)
                context.terminal.out(`${JSON.stringify(row, jsonReplacer)}\n`);
            } else if (batchRows.length > 0) {
              context.terminal.out(
                formatTable(
                  header,
                  batchRows.map((row) => header.map((name) => cell(row[name]))),
                ),
              );
            }
            if (appMetadata.byteLength > 0) {
              const { resume } = flight.decodeEventMetadata(appMetadata);
              context.terminal.err(`resume: ${resume}\n`);
            }
            continue;
          }
          for (const row of batchRows) if (rows.length < max) rows.push(row);
        }
      } catch (error) {
        // Ctrl-C ends a tail: that is its normal end.
        if (tail && context.signal.aborted) return 0;
        throw error;
      }
      if (tail) return 0;
      print(context, rows, () => {
        const more =
          total > rows.length
            ? `… ${String(total - rows.length)} more row(s); use --output file.arrow for all\n`
            : '';
        return `${formatTable(
          header,
          rows.map((row) => header.map((name) => cell(row[name]))),
        )}${String(total)} row(s)\n${more}`;
      });
      return 0;
    }),
};

const sql: Command = {
  path: ['flight', 'sql'],
  summary: 'run a read-only SQL query through Flight SQL and print (or save) the rows',
  details:
    'The server checks the query with the PostgreSQL parser: one SELECT (CTEs allowed) over the read models it allows. A refused query prints the reason with its position. With --output the rows go to an Arrow IPC file.',
  args: [{ name: 'query', description: 'the SELECT to run (quote it)' }],
  options: {
    ...CONNECTION,
    output: {
      type: 'string',
      short: 'o',
      value: 'file',
      description: 'write an Arrow IPC file (.arrow; .arrows for the stream format)',
    },
    'max-rows': {
      type: 'string',
      value: 'n',
      default: '50',
      parse: integer(1, 1_000_000),
      description: 'most rows printed (without --output)',
    },
  },
  examples: [
    `fraiseql flight sql "SELECT id, total FROM va_orders ORDER BY total DESC LIMIT 10"`,
    `fraiseql flight sql "SELECT status, count(*) FROM va_orders GROUP BY 1" --json`,
  ],
  run: (context) =>
    withClient(context, 'fraiseql flight sql', async (_flight, client) => {
      const query = context.positionals[0] ?? '';
      if (query.trim() === '') throw new CliError('USAGE', 'query: expected a SELECT statement');
      const table = await client.query(query, { signal: context.signal });
      const output = text(context.values.output);
      if (output !== undefined) {
        const { tableToIPC } = await importOptional(
          () => import('apache-arrow'),
          'apache-arrow',
          'fraiseql flight sql --output',
        );
        await writeFile(output, tableToIPC(table, output.endsWith('.arrows') ? 'stream' : 'file'));
        print(context, { output, rows: table.numRows }, () => {
          return `${String(table.numRows)} row(s) written to ${output}\n`;
        });
        return 0;
      }
      const max = Number(context.values['max-rows']);
      const header = table.schema.fields.map((field) => field.name);
      const rows: Record<string, unknown>[] = [];
      for (const row of table) {
        if (rows.length >= max) break;
        rows.push((row as { toJSON(): Record<string, unknown> }).toJSON());
      }
      print(context, rows, () => {
        const more =
          table.numRows > rows.length
            ? `… ${String(table.numRows - rows.length)} more row(s); use --output file.arrow for all\n`
            : '';
        return `${formatTable(
          header,
          rows.map((row) => header.map((name) => cell(row[name]))),
        )}${String(table.numRows)} row(s)\n${more}`;
      });
      return 0;
    }),
};

/** `fraiseql flight list | schema | get | sql | put`. */
export const flightCommands: readonly Command[] = [list, schema, get, sql, flightPutCommand];
