-- Positions of change-log readers (createChangeLogReader): a reader that loads the change log
-- into another store in pages keeps one row here. Its position is a place in the order below
-- the visibility horizon, (transaction_id, pk_entity_change_log), saved only after the store
-- accepted everything up to it. One instance holds a reader at a time, by lease: `owner` and
-- `lease_until`, renewed while it runs; another instance takes the reader over once the lease
-- has run out.

CREATE TABLE IF NOT EXISTS core.tb_change_log_reader (
    reader         text        PRIMARY KEY,
    transaction_id xid8        NOT NULL DEFAULT '0',
    seq            bigint      NOT NULL DEFAULT 0,
    owner          text,
    lease_until    timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
