/**
 * The change log's visibility horizon as an SQL expression (`xid8`), evaluated in the snapshot
 * of the statement it appears in: the oldest transaction still running in this database, or the
 * snapshot's `xmax` when none is. Every transaction below it has finished, so no change-log row
 * can still appear with a `transaction_id` below it: a reader that only takes rows with
 * `transaction_id < horizon`, in `(transaction_id, pk_entity_change_log)` order, never skips a
 * transaction that commits late (a plain `pk > watermark` cursor does).
 *
 * Transactions proven to run in another database (same server, per `pg_stat_activity`) are
 * skipped: they cannot write this change log, and a long one must not stall readers here. An
 * xid that cannot be attributed (a prepared transaction, a session hidden from this role, one
 * that just ended) counts as local: the safe side. See docs/architecture/change-log-delivery.md.
 *
 * @example `SELECT … FROM core.tb_entity_change_log l WHERE l.transaction_id < ${CHANGE_LOG_HORIZON}`
 */
export const CHANGE_LOG_HORIZON = `(SELECT COALESCE(
    (SELECT min(x) FROM pg_snapshot_xip(s.snap) AS x
     WHERE (x::text::bigint % 4294967296) NOT IN (
       SELECT a.backend_xid::text::bigint FROM pg_stat_activity a
       WHERE a.backend_xid IS NOT NULL AND a.datname IS NOT NULL
         AND a.datname <> current_database())),
    pg_snapshot_xmax(s.snap))
  FROM (SELECT pg_current_snapshot() AS snap) s)`;
