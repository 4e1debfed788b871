-- Change-log rows a consumer moved aside: malformed rows it could not turn into an event, and
-- events whose handler failed for good. raw_row is the change-log row as it was.
CREATE TABLE IF NOT EXISTS core.tb_observer_parked (
    pk_observer_parked bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer text NOT NULL,
    pk_entity_change_log bigint NOT NULL,
    event_id uuid,
    kind text NOT NULL CHECK (kind IN ('malformed', 'dead')),
    reason text NOT NULL,
    attempts integer NOT NULL,
    raw_row jsonb NOT NULL,
    parked_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS idx_observer_parked_consumer
    ON core.tb_observer_parked (consumer, parked_at);
