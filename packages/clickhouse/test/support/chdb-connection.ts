import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'chdb';
import {
  ClickHouseError,
  classifyFailure,
  type ClickHouseConnection,
  type RoundTripOptions,
} from '@fraiseql/clickhouse';

/**
 * A ClickHouseConnection over the ClickHouse engine embedded by the `chdb` package (a real,
 * current ClickHouse in this process, data in a temp dir): the same statements the HTTP
 * connection sends, run by a modern server. Only the transport differs.
 */
export async function createChdbConnection(): Promise<ClickHouseConnection> {
  const dir = await mkdtemp(join(tmpdir(), 'fraiseql-chdb-'));
  const session = new Session(dir);
  let closed = false;
  const run = async (sql: string, doing: string): Promise<string> => {
    if (closed) throw new ClickHouseError('CLOSED', `${doing}: the chdb session is closed`);
    try {
      return (await session.queryAsync(sql, { format: 'JSONEachRow' })).text();
    } catch (error) {
      throw classifyFailure({ error, serverCode: serverCode(error) }, `${doing} (chdb)`);
    }
  };
  return {
    description: 'chdb (embedded ClickHouse)',
    async query<Row>(sql: string, options: RoundTripOptions = {}): Promise<Row[]> {
      const text = await run(sql + settingsClause(options), 'query');
      return text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Row);
    },
    async command(sql: string, options: RoundTripOptions = {}): Promise<void> {
      await run(sql + settingsClause(options), 'command');
    },
    async insertLines(table, columns, format, body, options: RoundTripOptions = {}): Promise<void> {
      await run(
        `INSERT INTO ${table} (${columns.join(', ')})${settingsClause(options)} FORMAT ${format}\n${
          typeof body === 'string' ? body : Buffer.from(body).toString('utf8')
        }`,
        'insert',
      );
    },
    async ping(): Promise<void> {
      await run('SELECT 1', 'ping');
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      session.cleanup();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function settingsClause(options: RoundTripOptions): string {
  const entries = Object.entries(options.settings ?? {});
  if (entries.length === 0) return '';
  return ` SETTINGS ${entries
    .map(
      ([key, value]) =>
        `${key} = ${typeof value === 'number' ? String(value) : `'${value.replace(/'/g, "\\'")}'`}`,
    )
    .join(', ')}`;
}

function serverCode(error: unknown): number | undefined {
  const code = (error as { clickhouseCode?: unknown } | null)?.clickhouseCode;
  return typeof code === 'number' ? code : undefined;
}
