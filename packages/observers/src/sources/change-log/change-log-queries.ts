import { CHANGE_LOG_HORIZON, changeLogColumns } from '@fraiseql/core';

// Every statement the change-log source runs, in one place. The eligibility rule lives in
// HORIZON and CLAIM_FRESH: a row is claimable once its writing transaction is below the horizon
// of the statement's own snapshot, i.e. every transaction that could still add a row at or
// before it has finished. See docs/architecture/change-log-delivery.md.

const LOG = 'core.tb_entity_change_log';
const CLAIM = 'core.tb_observer_claim';
const BATCH = 'core.tb_observer_claim_batch';
const CLAIMED = 'core.v_observer_claim';
const CHECKPOINT = 'core.tb_observer_checkpoint';
const PARKED = 'core.tb_observer_parked';

/** Change-log columns as the source reads them (ids and transaction ids as text). */
const ROW_COLUMNS = changeLogColumns('l');

/**
 * Commits the source's own writes without waiting for the WAL flush. Losing the last few of
 * them in a server crash only repeats deliveries (a claim or a finished mark is forgotten, so
 * the row is claimed and delivered again), which at-least-once allows; waiting for the flush
 * would put a disk sync on every claim and settlement. Used as a condition so that it runs in
 * the statement's own transaction.
 */
const ASYNC_COMMIT = `set_config('synchronous_commit', 'off', true) IS NOT NULL`;

/**
 * The delivery horizon of the statement's snapshot, shared with every change-log reader (core's
 * `CHANGE_LOG_HORIZON`): the oldest transaction still running in this database, or the
 * snapshot's xmax when none is. No row can still appear below it.
 */
const HORIZON = CHANGE_LOG_HORIZON;

/** $1 consumer, $2 initial cursor: `'beginning'` or `'now'`. */
export const REGISTER_CONSUMER = `
INSERT INTO ${CHECKPOINT} (consumer, cursor_transaction_id, cursor_pk)
SELECT $1, CASE WHEN $2 = 'now' THEN ${HORIZON} ELSE '0'::xid8 END, 0
ON CONFLICT (consumer) DO NOTHING`;

/**
 * $1 consumer, $2 worker, $3 lease ms, $4 limit. Takes over claims whose lease expired (a
 * crashed worker) or whose retry delay is over, oldest first: rows claimed alone.
 */
export const RECLAIM = `
WITH reclaimed AS (
  UPDATE ${CLAIM} c
  SET lease_owner = $2,
      lease_expires_at = clock_timestamp() + $3 * interval '1 millisecond',
      attempts = c.attempts + 1
  WHERE c.consumer = $1
    AND c.pk_entity_change_log IN (
      SELECT pk_entity_change_log FROM ${CLAIM}
      WHERE consumer = $1 AND lease_expires_at <= clock_timestamp()
      ORDER BY transaction_id, pk_entity_change_log
      LIMIT $4
      FOR UPDATE SKIP LOCKED)
    AND ${ASYNC_COMMIT}
  RETURNING c.pk_entity_change_log, c.attempts
)
SELECT ${ROW_COLUMNS}, r.attempts
FROM reclaimed r JOIN ${LOG} l ON l.pk_entity_change_log = r.pk_entity_change_log
ORDER BY l.transaction_id, l.pk_entity_change_log`;

/**
 * $1 consumer, $2 worker, $3 lease ms. Takes over the oldest batch whose lease expired (a
 * crashed or closed worker) and returns its unfinished rows with their position in the batch.
 * Expired batches with every row finished (their holder stopped before deleting them) go.
 */
export const RECLAIM_BATCH = `
WITH spent AS (
  DELETE FROM ${BATCH}
  WHERE consumer = $1 AND lease_expires_at <= clock_timestamp() AND bit_count(finished) >= size
), taken AS (
  UPDATE ${BATCH} b
  SET lease_owner = $2,
      lease_expires_at = clock_timestamp() + $3 * interval '1 millisecond',
      attempts = b.attempts + 1
  WHERE b.pk_observer_claim_batch = (
      SELECT pk_observer_claim_batch FROM ${BATCH}
      WHERE consumer = $1 AND lease_expires_at <= clock_timestamp()
        AND bit_count(finished) < size
      ORDER BY after_transaction_id, after_pk
      LIMIT 1
      FOR UPDATE SKIP LOCKED)
    AND ${ASYNC_COMMIT}
  RETURNING b.*
)
SELECT ${ROW_COLUMNS}, t.attempts, t.pk_observer_claim_batch::text AS batch, t.size, r.pos
FROM taken t
CROSS JOIN LATERAL (
  SELECT x.pk_entity_change_log,
         (row_number() OVER (ORDER BY x.transaction_id, x.pk_entity_change_log) - 1)::int AS pos
  FROM ${LOG} x
  WHERE (x.transaction_id, x.pk_entity_change_log) > (t.after_transaction_id, t.after_pk)
    AND (x.transaction_id, x.pk_entity_change_log) <= (t.last_transaction_id, t.last_pk)
) r
JOIN ${LOG} l ON l.pk_entity_change_log = r.pk_entity_change_log
WHERE r.pos < t.size AND get_bit(t.finished, r.pos) = 0
ORDER BY l.transaction_id, l.pk_entity_change_log`;

/**
 * $1 consumer, $2 limit, $3 worker, $4 lease ms. One claim round in one statement: locks the
 * consumer's checkpoint row, takes the next rows after the cursor below the horizon as one
 * batch leased to this worker and moves the cursor (see
 * `sql/migrations/0013_observer_claim_function.sql`, which also says why it is a function).
 * Change-log columns come as text, JSON included, and `created_at` as epoch milliseconds (a
 * number becomes a `Date` without parsing timestamp text, which cost more than the rest of the
 * row in a drain's profile).
 */
export const CLAIM_BATCH = `
SELECT registered, batch, beyond, cursor_xid, cursor_pk, pk_entity_change_log, id, tenant_id,
       fk_contact, object_type, object_id, modification_type, change_status, object_data,
       object_data_before, updated_fields, extra_metadata, transaction_id,
       (extract(epoch FROM created_at) * 1000)::float8 AS created_at
FROM core.fn_observer_claim_batch($1, $2, $3, $4)`;

/**
 * $1 cursor transaction id, $2 cursor pk. The first committed row after the cursor, if any, and
 * whether it is below the horizon now. A claim round that came back short can still leave such
 * a row: the transaction that held it back (often another worker's claim round) may have ended
 * since the round's snapshot, and then the row is claimable at once.
 */
export const AFTER_CURSOR = `
SELECT l.created_at, l.transaction_id < ${HORIZON} AS claimable
FROM ${LOG} l
WHERE (l.transaction_id, l.pk_entity_change_log) > ($1::xid8, $2::bigint)
ORDER BY l.transaction_id, l.pk_entity_change_log
LIMIT 1`;

/** The oldest open writing transaction of this database, for the hold-back warning. */
export const OLDEST_TRANSACTION = `
SELECT pid, backend_xid::text AS xid, state, xact_start,
       extract(epoch FROM clock_timestamp() - xact_start)::float8 AS age_seconds
FROM pg_stat_activity
WHERE backend_xid IS NOT NULL AND datname = current_database() AND pid <> pg_backend_pid()
ORDER BY age(backend_xid) DESC
LIMIT 1`;

/**
 * $1 consumer, $2 worker, $3 lease ms, $4 batch ids, $5 pks claimed alone. Extends the leases
 * this worker still works on.
 */
export const RENEW_LEASES = `
WITH batches AS (
  UPDATE ${BATCH} SET lease_expires_at = clock_timestamp() + $3 * interval '1 millisecond'
  WHERE pk_observer_claim_batch = ANY($4::bigint[]) AND consumer = $1 AND lease_owner = $2
    AND ${ASYNC_COMMIT}
)
UPDATE ${CLAIM} SET lease_expires_at = clock_timestamp() + $3 * interval '1 millisecond'
WHERE consumer = $1 AND lease_owner = $2 AND pk_entity_change_log = ANY($5::bigint[])
  AND ${ASYNC_COMMIT}`;

/** $1 consumer, $2 worker, $3 lease ms, $4 pk. Extends one lease; no row = lease lost. */
export const RENEW_LEASE = `
UPDATE ${CLAIM} SET lease_expires_at = clock_timestamp() + $3 * interval '1 millisecond'
WHERE consumer = $1 AND lease_owner = $2 AND pk_entity_change_log = $4 AND ${ASYNC_COMMIT}
RETURNING pk_entity_change_log`;

/** $1 consumer, $2 worker, $3 lease ms, $4 batch id. Extends a batch's lease; no row = lost. */
export const RENEW_BATCH_LEASE = `
UPDATE ${BATCH} SET lease_expires_at = clock_timestamp() + $3 * interval '1 millisecond'
WHERE pk_observer_claim_batch = $4 AND consumer = $1 AND lease_owner = $2 AND ${ASYNC_COMMIT}
RETURNING pk_observer_claim_batch`;

/**
 * $1 consumer, $2 worker, $3 batch ids, $4 masks (one per batch: a bit string of the batch's
 * size with the rows finished now set, or '' when the whole batch is finished), $5 pks claimed
 * alone. Finishes claims, through primary keys only: a batch row is updated in place (a HOT
 * update: no indexed column changes) or deleted, a single claim deleted. Returns what this
 * worker still held; the rest had passed to another worker.
 */
export const SETTLE_DONE = `
WITH marks AS (
  SELECT m.batch, m.mask FROM unnest($3::bigint[], $4::text[]) AS m(batch, mask)
), marked AS (
  UPDATE ${BATCH} b SET finished = b.finished | m.mask::varbit
  FROM marks m
  WHERE b.pk_observer_claim_batch = m.batch AND m.mask <> ''
    AND b.consumer = $1 AND b.lease_owner = $2 AND ${ASYNC_COMMIT}
  RETURNING b.pk_observer_claim_batch AS id
), completed AS (
  DELETE FROM ${BATCH} b
  USING marks m
  WHERE b.pk_observer_claim_batch = m.batch AND m.mask = ''
    AND b.consumer = $1 AND b.lease_owner = $2 AND ${ASYNC_COMMIT}
  RETURNING b.pk_observer_claim_batch AS id
), singles AS (
  DELETE FROM ${CLAIM}
  WHERE consumer = $1 AND lease_owner = $2 AND pk_entity_change_log = ANY($5::bigint[])
    AND ${ASYNC_COMMIT}
  RETURNING pk_entity_change_log AS id
)
SELECT true AS batch, id::text FROM marked
UNION ALL SELECT true, id::text FROM completed
UNION ALL SELECT false, id::text FROM singles`;

/** $1 consumer, $2 worker, $3 pk, $4 delay ms, $5 error text. Hands a claim back for later. */
export const SETTLE_RETRY = `
UPDATE ${CLAIM}
SET lease_owner = NULL, lease_expires_at = clock_timestamp() + $4 * interval '1 millisecond',
    last_error = $5
WHERE consumer = $1 AND lease_owner = $2 AND pk_entity_change_log = $3 AND ${ASYNC_COMMIT}
RETURNING pk_entity_change_log`;

/**
 * $1 consumer, $2 worker, $3 pk, $4 delay ms, $5 error text, $6 batch id, $7 position, $8
 * attempts so far. Hands a row of a batch back for later: it leaves the batch (its bit is set)
 * and becomes a claim of its own, due after the delay, atomically.
 */
export const SETTLE_RETRY_BATCH = `
WITH left_batch AS (
  UPDATE ${BATCH} SET finished = set_bit(finished, $7, 1)
  WHERE pk_observer_claim_batch = $6 AND consumer = $1 AND lease_owner = $2 AND ${ASYNC_COMMIT}
  RETURNING 1
)
INSERT INTO ${CLAIM} (consumer, pk_entity_change_log, transaction_id, lease_owner,
                      lease_expires_at, attempts, last_error)
SELECT $1, l.pk_entity_change_log, l.transaction_id, NULL,
       clock_timestamp() + $4 * interval '1 millisecond', $8, $5
FROM left_batch, ${LOG} l WHERE l.pk_entity_change_log = $3
ON CONFLICT (consumer, pk_entity_change_log) DO UPDATE
SET lease_owner = NULL, lease_expires_at = excluded.lease_expires_at,
    attempts = excluded.attempts, last_error = excluded.last_error
RETURNING pk_entity_change_log`;

/**
 * $1 consumer, $2 worker, $3 pk, $4 kind, $5 reason. Moves a claimed row aside: the raw row
 * goes to the parked table and the claim is finished, atomically.
 */
export const PARK = `
WITH finished AS (
  DELETE FROM ${CLAIM}
  WHERE consumer = $1 AND lease_owner = $2 AND pk_entity_change_log = $3 AND ${ASYNC_COMMIT}
  RETURNING pk_entity_change_log, attempts
)
INSERT INTO ${PARKED} (consumer, pk_entity_change_log, event_id, kind, reason, attempts, raw_row)
SELECT $1, f.pk_entity_change_log, l.id, $4, $5, f.attempts, to_jsonb(l)
FROM finished f JOIN ${LOG} l ON l.pk_entity_change_log = f.pk_entity_change_log
RETURNING pk_observer_parked`;

/**
 * $1 consumer, $2 worker, $3 pk, $4 kind, $5 reason, $6 batch id, $7 position, $8 attempts.
 * Moves a row of a batch aside: the raw row goes to the parked table and its bit is set,
 * atomically.
 */
export const PARK_BATCH = `
WITH finished AS (
  UPDATE ${BATCH} SET finished = set_bit(finished, $7, 1)
  WHERE pk_observer_claim_batch = $6 AND consumer = $1 AND lease_owner = $2 AND ${ASYNC_COMMIT}
  RETURNING 1
)
INSERT INTO ${PARKED} (consumer, pk_entity_change_log, event_id, kind, reason, attempts, raw_row)
SELECT $1, l.pk_entity_change_log, l.id, $4, $5, $8, to_jsonb(l)
FROM finished, ${LOG} l WHERE l.pk_entity_change_log = $3
RETURNING pk_observer_parked`;

/** $1 consumer, $2 worker. Gives back every lease of this worker for immediate redelivery. */
export const RELEASE_LEASES = `
WITH batches AS (
  UPDATE ${BATCH} SET lease_owner = NULL, lease_expires_at = clock_timestamp()
  WHERE consumer = $1 AND lease_owner = $2 AND ${ASYNC_COMMIT}
)
UPDATE ${CLAIM} SET lease_owner = NULL, lease_expires_at = clock_timestamp()
WHERE consumer = $1 AND lease_owner = $2 AND ${ASYNC_COMMIT}`;

/**
 * $1 consumer, $2 count cap. Unfinished rows (after the cursor, or claimed and not finished) and
 * the age in seconds of the oldest of them.
 */
export const BACKLOG = `
SELECT
  (SELECT count(*) FROM (
     SELECT 1 FROM ${LOG} l
     WHERE (l.transaction_id, l.pk_entity_change_log) > (c.cursor_transaction_id, c.cursor_pk)
     LIMIT $2) beyond)
  + (SELECT count(*) FROM ${CLAIMED} cl WHERE cl.consumer = $1) AS events,
  extract(epoch FROM clock_timestamp() - LEAST(
    (SELECT min(l.created_at) FROM ${CLAIMED} cl
       JOIN ${LOG} l ON l.pk_entity_change_log = cl.pk_entity_change_log
     WHERE cl.consumer = $1),
    (SELECT l.created_at FROM ${LOG} l
     WHERE (l.transaction_id, l.pk_entity_change_log) > (c.cursor_transaction_id, c.cursor_pk)
     ORDER BY l.transaction_id, l.pk_entity_change_log LIMIT 1)))::float8 AS oldest_age_seconds
FROM ${CHECKPOINT} c WHERE c.consumer = $1`;

/**
 * How far retention may go: the furthest-behind consumer's cursor, or the oldest claimed row
 * still unfinished (any consumer, alone or in a batch) when that is further behind. Every row at or before it has been passed
 * and finished by every consumer. No row when no consumer is registered.
 */
export const RETENTION_BOUND = `
SELECT b.transaction_id::text AS transaction_id, b.pk::text AS pk, b.inclusive
FROM (
  (SELECT cursor_transaction_id AS transaction_id, cursor_pk AS pk, true AS inclusive
   FROM ${CHECKPOINT} ORDER BY cursor_transaction_id, cursor_pk LIMIT 1)
  UNION ALL
  (SELECT transaction_id, pk_entity_change_log, false FROM ${CLAIMED}
   ORDER BY transaction_id, pk_entity_change_log LIMIT 1)
) b
ORDER BY b.transaction_id, b.pk, b.inclusive
LIMIT 1`;

/**
 * $1 max age ms, $2 limit, $3/$4 the bound (inclusive), $5 whether the bound row itself may go.
 * Deletes up to $2 rows older than the max age at or before the bound.
 */
export const RETENTION_DELETE = `
WITH doomed AS (
  SELECT l.pk_entity_change_log
  FROM ${LOG} l
  WHERE (l.transaction_id, l.pk_entity_change_log) <= ($3::xid8, $4::bigint)
    AND ($5 OR (l.transaction_id, l.pk_entity_change_log) <> ($3::xid8, $4::bigint))
    AND l.created_at < clock_timestamp() - $1 * interval '1 millisecond'
  ORDER BY l.transaction_id, l.pk_entity_change_log
  LIMIT $2
  FOR UPDATE SKIP LOCKED
)
DELETE FROM ${LOG} l USING doomed d WHERE l.pk_entity_change_log = d.pk_entity_change_log`;
