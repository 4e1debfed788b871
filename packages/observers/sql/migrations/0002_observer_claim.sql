-- Claimed, not yet finished change-log rows per consumer. A claim is leased to one worker until
-- lease_expires_at; an expired claim (or one released for retry) is claimed again by any worker.
-- The table only holds work in flight (rows are deleted when finished), so it stays small; every
-- index costs on the hot path (one insert and one delete per event), hence only two.
CREATE TABLE IF NOT EXISTS core.tb_observer_claim (
    consumer text NOT NULL REFERENCES core.tb_observer_checkpoint (consumer) ON DELETE CASCADE,
    pk_entity_change_log bigint NOT NULL,
    transaction_id xid8 NOT NULL,
    lease_owner text,
    lease_expires_at timestamptz NOT NULL,
    attempts integer NOT NULL DEFAULT 1,
    last_error text,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, pk_entity_change_log)
);

CREATE INDEX IF NOT EXISTS idx_observer_claim_expiry
    ON core.tb_observer_claim (consumer, lease_expires_at);
