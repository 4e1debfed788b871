import type { SqlClient } from '../db/sql-client.js';
import { CAPTURE_TRIGGERS } from './install-capture.js';

/** One captured table, as {@link listCaptures} reads it back from its triggers. */
export interface CapturedTable {
  /** `schema.name`. */
  readonly table: string;
  readonly entityType: string;
  readonly idColumn: string;
  /** Empty when the tenant comes from the transaction's `fraiseql.tenant_id` setting. */
  readonly tenantColumn: string | undefined;
  /** Empty when the user comes from the transaction's `fraiseql.user_id` setting. */
  readonly userColumn: string | undefined;
  readonly preImage: boolean;
  /** False when installed with `notify: false` (no wake-up: readers find its rows by polling). */
  readonly notify: boolean;
  /** Which of INSERT, UPDATE, DELETE have their trigger (all three unless someone dropped one). */
  readonly operations: readonly ('INSERT' | 'UPDATE' | 'DELETE')[];
}

/**
 * The tables whose changes are captured: every table with a trigger {@link installCapture}
 * created, with the options it was installed with (read from the trigger arguments), sorted by
 * name.
 */
export async function listCaptures(db: SqlClient): Promise<CapturedTable[]> {
  const result = await db.query<{ table_name: string; trigger: string; args: string }>(
    `SELECT n.nspname || '.' || c.relname AS table_name, t.tgname AS trigger,
            encode(t.tgargs, 'escape') AS args
       FROM pg_trigger t
       JOIN pg_class c ON c.oid = t.tgrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE NOT t.tgisinternal AND t.tgname = ANY($1)
      ORDER BY 1, 2`,
    [Object.values(CAPTURE_TRIGGERS)],
  );
  const operation = {
    [CAPTURE_TRIGGERS.insert]: 'INSERT',
    [CAPTURE_TRIGGERS.update]: 'UPDATE',
    [CAPTURE_TRIGGERS.delete]: 'DELETE',
  } as const;
  const byTable = new Map<string, CapturedTable>();
  for (const row of result.rows) {
    const [
      entityType = '',
      idColumn = '',
      tenantColumn = '',
      userColumn = '',
      preImage = '',
      notify = '',
    ] = triggerArguments(row.args);
    const known = byTable.get(row.table_name);
    const op = operation[row.trigger as keyof typeof operation];
    byTable.set(row.table_name, {
      table: row.table_name,
      entityType,
      idColumn,
      tenantColumn: tenantColumn === '' ? undefined : tenantColumn,
      userColumn: userColumn === '' ? undefined : userColumn,
      preImage: preImage === 'true',
      notify: notify !== 'false',
      operations: [...(known?.operations ?? []), op],
    });
  }
  const order = ['INSERT', 'UPDATE', 'DELETE'];
  return [...byTable.values()].map((entry) => ({
    ...entry,
    operations: [...entry.operations].sort((a, b) => order.indexOf(a) - order.indexOf(b)),
  }));
}

/**
 * The arguments of a trigger from `encode(tgargs, 'escape')`: bytes where a backslash is
 * doubled and other bytes may be `\ooo` octal; each argument ends with a zero byte.
 */
function triggerArguments(escaped: string): string[] {
  const bytes: number[] = [];
  const raw = Buffer.from(escaped, 'latin1');
  for (let i = 0; i < raw.length; i += 1) {
    const byte = raw[i] ?? 0;
    if (byte === 0x5c && raw[i + 1] === 0x5c) {
      bytes.push(0x5c);
      i += 1;
    } else if (byte === 0x5c) {
      bytes.push(Number.parseInt(raw.subarray(i + 1, i + 4).toString('latin1'), 8));
      i += 3;
    } else {
      bytes.push(byte);
    }
  }
  const args: string[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i += 1) {
    if (bytes[i] === 0) {
      args.push(Buffer.from(bytes.slice(start, i)).toString('utf8'));
      start = i + 1;
    }
  }
  return args;
}
