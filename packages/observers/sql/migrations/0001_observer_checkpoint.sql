-- Durable progress of each change-log consumer. Every change-log row at or below the cursor
-- (ordered by transaction id, then sequence) has been claimed by this consumer; rows it has not
-- finished are still listed in core.tb_observer_claim.
CREATE SCHEMA IF NOT EXISTS core;

CREATE TABLE IF NOT EXISTS core.tb_observer_checkpoint (
    consumer text PRIMARY KEY,
    cursor_transaction_id xid8 NOT NULL DEFAULT '0',
    cursor_pk bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
