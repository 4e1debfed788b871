-- One claim round of a change-log consumer, as a function so that its plan is pinned: the
-- cursor it continues from is only known once the checkpoint row is locked, so the planner
-- cannot tell how many rows follow it, and without fresh statistics (autovacuum may be off) it
-- picks a bitmap scan and a sort of every row after the cursor for small and mid-sized logs:
-- a cost that grows with the backlog. With bitmap and sequential scans off, the rows are read
-- from the (transaction_id, pk) index in order and the scan stops at the limit, whatever the
-- size of the log.
--
-- Locks the consumer's checkpoint row (serialising rounds across workers for this statement
-- only; a round that waited continues from the cursor its predecessor left), takes the next
-- p_limit rows after the cursor below the visibility horizon (core's CHANGE_LOG_HORIZON, the
-- same expression as every change-log reader), records them as one batch leased to p_worker
-- and moves the cursor to the last of them.
--
-- Always returns at least one line: `registered` is 0 when the consumer has no checkpoint row,
-- `beyond` says whether any row follows the new cursor (held back, or past the limit), and a
-- line without a `batch` carries no row. Columns of the change log come as text (JSON
-- included), whatever their type in an existing FraiseQL table.
CREATE OR REPLACE FUNCTION core.fn_observer_claim_batch(
    p_consumer text, p_limit integer, p_worker text, p_lease_ms double precision)
RETURNS TABLE (
    registered integer, batch text, beyond boolean, cursor_xid text, cursor_pk text,
    pk_entity_change_log text, id text, tenant_id text, fk_contact text, object_type text,
    object_id text, modification_type text, change_status text, object_data text,
    object_data_before text, updated_fields text, extra_metadata text, created_at timestamptz,
    transaction_id text)
LANGUAGE sql
VOLATILE
SET enable_bitmapscan = off
SET enable_seqscan = off
AS $fn$
WITH cp AS MATERIALIZED (
  SELECT c.cursor_transaction_id AS xid, c.cursor_pk AS pk FROM core.tb_observer_checkpoint c
  WHERE c.consumer = p_consumer
    -- The source's own writes commit without waiting for the WAL flush: losing the last of
    -- them in a server crash only repeats deliveries, which at-least-once allows.
    AND set_config('synchronous_commit', 'off', true) IS NOT NULL
  FOR UPDATE
), fresh AS MATERIALIZED (
  SELECT l.*
  FROM core.tb_entity_change_log l
  WHERE (l.transaction_id, l.pk_entity_change_log) > ((SELECT xid FROM cp), (SELECT pk FROM cp))
    AND l.transaction_id < (SELECT COALESCE(
    (SELECT min(x) FROM pg_snapshot_xip(s.snap) AS x
     WHERE (x::text::bigint % 4294967296) NOT IN (
       SELECT a.backend_xid::text::bigint FROM pg_stat_activity a
       WHERE a.backend_xid IS NOT NULL AND a.datname IS NOT NULL
         AND a.datname <> current_database())),
    pg_snapshot_xmax(s.snap))
  FROM (SELECT pg_current_snapshot() AS snap) s)
  ORDER BY l.transaction_id, l.pk_entity_change_log
  LIMIT p_limit
), last AS MATERIALIZED (
  SELECT f.transaction_id, f.pk_entity_change_log, (SELECT count(*) FROM fresh)::int AS size
  FROM fresh f ORDER BY f.transaction_id DESC, f.pk_entity_change_log DESC LIMIT 1
), claimed AS (
  INSERT INTO core.tb_observer_claim_batch (consumer, after_transaction_id, after_pk,
      last_transaction_id, last_pk, size, finished, lease_owner, lease_expires_at)
  SELECT p_consumer, cp.xid, cp.pk, last.transaction_id, last.pk_entity_change_log, last.size,
         repeat('0', last.size)::varbit, p_worker,
         clock_timestamp() + p_lease_ms * interval '1 millisecond'
  FROM cp, last
  RETURNING pk_observer_claim_batch
), advanced AS (
  UPDATE core.tb_observer_checkpoint c
  SET cursor_transaction_id = last.transaction_id, cursor_pk = last.pk_entity_change_log,
      updated_at = now()
  FROM last
  WHERE c.consumer = p_consumer
)
SELECT (SELECT count(*) FROM cp)::int,
       (SELECT pk_observer_claim_batch::text FROM claimed),
       COALESCE((
         SELECT true FROM core.tb_entity_change_log n
         WHERE (n.transaction_id, n.pk_entity_change_log) >
               (COALESCE((SELECT transaction_id FROM last), (SELECT xid FROM cp)),
                COALESCE((SELECT pk_entity_change_log FROM last), (SELECT pk FROM cp)))
         ORDER BY n.transaction_id, n.pk_entity_change_log
         LIMIT 1), false),
       COALESCE((SELECT transaction_id FROM last), (SELECT xid FROM cp))::text,
       COALESCE((SELECT pk_entity_change_log FROM last), (SELECT pk FROM cp))::text,
       l.pk_entity_change_log::text, l.id::text, l.tenant_id::text, l.fk_contact::text,
       l.object_type::text, l.object_id::text, l.modification_type::text, l.change_status::text,
       l.object_data::text, l.object_data_before::text, l.updated_fields::text,
       l.extra_metadata::text, l.created_at::timestamptz, l.transaction_id::text
FROM (SELECT 1) one LEFT JOIN fresh l ON true
ORDER BY l.transaction_id, l.pk_entity_change_log
$fn$;
