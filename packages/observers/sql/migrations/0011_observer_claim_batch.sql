-- Claims by batch. A claim round takes the next rows after the consumer's cursor, below the
-- horizon, as one batch: every change-log row after (after_transaction_id, after_pk) up to and
-- including (last_transaction_id, last_pk), in (transaction id, sequence) order. Those rows are
-- all committed when the batch is claimed and no row can appear between them later, so the
-- bounds name the rows for good. Bit i of `finished` is set once the batch's i-th row is
-- finished (done, parked, or handed to a claim row of core.tb_observer_claim for a later retry);
-- the batch row is deleted when all are.
--
-- One row per batch instead of one per event: a claim round inserts one row, settlements update
-- it in place (no indexed column changes, so the update is HOT and the page prunes itself without
-- a vacuum) and the last one deletes it. Nothing here grows with the number of events.
CREATE TABLE IF NOT EXISTS core.tb_observer_claim_batch (
    pk_observer_claim_batch bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer text NOT NULL,
    after_transaction_id xid8 NOT NULL,
    after_pk bigint NOT NULL,
    last_transaction_id xid8 NOT NULL,
    last_pk bigint NOT NULL,
    size integer NOT NULL CHECK (size > 0),
    finished bit varying NOT NULL,
    lease_owner text,
    lease_expires_at timestamptz NOT NULL,
    attempts integer NOT NULL DEFAULT 1,
    claimed_at timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 50);

CREATE INDEX IF NOT EXISTS idx_observer_claim_batch_expiry
    ON core.tb_observer_claim_batch (consumer, lease_expires_at);

-- Every claimed and unfinished change-log row, one line per row, whether it is claimed alone
-- (core.tb_observer_claim: a retry, or a claim taken before batches) or as part of a batch.
CREATE OR REPLACE VIEW core.v_observer_claim AS
SELECT c.consumer, c.pk_entity_change_log, c.transaction_id, c.lease_owner, c.lease_expires_at,
       c.attempts, c.last_error, c.claimed_at, NULL::bigint AS pk_observer_claim_batch
FROM core.tb_observer_claim c
UNION ALL
SELECT b.consumer, r.pk_entity_change_log, r.transaction_id, b.lease_owner, b.lease_expires_at,
       b.attempts, NULL::text, b.claimed_at, b.pk_observer_claim_batch
FROM core.tb_observer_claim_batch b
CROSS JOIN LATERAL (
    SELECT l.pk_entity_change_log, l.transaction_id,
           (row_number() OVER (ORDER BY l.transaction_id, l.pk_entity_change_log) - 1)::int AS pos
    FROM core.tb_entity_change_log l
    WHERE (l.transaction_id, l.pk_entity_change_log) > (b.after_transaction_id, b.after_pk)
      AND (l.transaction_id, l.pk_entity_change_log) <= (b.last_transaction_id, b.last_pk)
) r
WHERE r.pos < b.size AND get_bit(b.finished, r.pos) = 0;
