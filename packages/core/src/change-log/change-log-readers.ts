import type { SqlClient } from '../db/sql-client.js';
import { CHANGE_LOG_TABLE } from './change-log-table.js';
import type { ChangeLogPosition } from './read-change-log-page.js';

/** Where one change-log reader (`createChangeLogReader`) stands, read from the database. */
export interface ChangeLogReaderStatus {
  readonly reader: string;
  /**
   * The committed position: reading resumes after it. A caught-up reader's position is the
   * horizon it read below (`seq` 0); `lastSeq` names the row.
   */
  readonly position: ChangeLogPosition;
  /** `pk_entity_change_log` of the last row at or before the position; undefined when none. */
  readonly lastSeq: bigint | undefined;
  /** Change-log rows after the position (capped), committed or not yet visible to readers. */
  readonly backlog: number;
  /** The instance holding the lease (`host:pid:id`), undefined when none holds it now. */
  readonly heldBy: string | undefined;
  /** When the lease runs out unless renewed; undefined when none holds it now. */
  readonly leaseUntil: Date | undefined;
  /** When a position was last committed. */
  readonly updatedAt: Date;
}

interface Row {
  reader: string;
  transaction_id: string;
  seq: string;
  backlog: string;
  last_seq: string | null;
  owner: string | null;
  lease_until: Date | string | null;
  updated_at: Date | string;
}

// The reader's order: rows after (transaction id, sequence).
const STATUS = `
SELECT r.reader, r.transaction_id::text AS transaction_id, r.seq::text AS seq, r.updated_at,
  CASE WHEN r.lease_until > clock_timestamp() THEN r.owner END AS owner,
  CASE WHEN r.lease_until > clock_timestamp() THEN r.lease_until END AS lease_until,
  (SELECT count(*) FROM (
     SELECT 1 FROM ${CHANGE_LOG_TABLE} l
     WHERE (l.transaction_id, l.pk_entity_change_log) > (r.transaction_id, r.seq)
     LIMIT $1) beyond)::text AS backlog,
  (SELECT l.pk_entity_change_log FROM ${CHANGE_LOG_TABLE} l
   WHERE (l.transaction_id, l.pk_entity_change_log) <= (r.transaction_id, r.seq)
   ORDER BY l.transaction_id DESC, l.pk_entity_change_log DESC LIMIT 1)::text AS last_seq
FROM core.tb_change_log_reader r
ORDER BY r.reader`;

/**
 * Every change-log reader that has ever started (from `core.tb_change_log_reader`): position,
 * backlog and who holds it, for status pages and the CLI; works without a running reader.
 *
 * @param countCap Most backlog rows counted per reader. @defaultValue 1_000_000
 */
export async function listChangeLogReaders(
  db: SqlClient,
  countCap = 1_000_000,
): Promise<ChangeLogReaderStatus[]> {
  const result = await db.query<Row>(STATUS, [countCap]);
  return result.rows.map((row) => ({
    reader: row.reader,
    position: { transactionId: BigInt(row.transaction_id), seq: BigInt(row.seq) },
    backlog: Number(row.backlog),
    lastSeq: row.last_seq === null ? undefined : BigInt(row.last_seq),
    heldBy: row.owner ?? undefined,
    leaseUntil: row.lease_until === null ? undefined : new Date(row.lease_until),
    updatedAt: new Date(row.updated_at),
  }));
}
