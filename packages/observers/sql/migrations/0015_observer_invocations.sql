-- Invocation log: one row per action attempt (successes too), written in batches by the
-- observers' invocation log. Secrets and signature headers are redacted before they get here;
-- response bodies are bounded excerpts. Rows older than the retention age, and beyond the row
-- cap, are deleted in batches by the log's pruning.
CREATE SCHEMA IF NOT EXISTS core;

CREATE TABLE IF NOT EXISTS core.tb_observer_invocation (
    pk_observer_invocation bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id text NOT NULL,
    event_seq bigint,
    event_type text NOT NULL,
    entity_type text NOT NULL,
    entity_id text NOT NULL,
    observer text NOT NULL,
    action_index integer NOT NULL,
    action_type text NOT NULL,
    attempt integer NOT NULL,
    -- delivery (the runtime), redelivery (an operator sent the event again), dlq-retry.
    trigger text NOT NULL DEFAULT 'delivery',
    -- Who asked for a redelivery or a dead-letter retry (the admin token's name).
    actor text,
    started_at timestamptz NOT NULL,
    duration_ms double precision NOT NULL,
    -- success | failure | aborted (the attempt was cut by a lost lease or a hard stop)
    outcome text NOT NULL,
    summary text,
    -- Redacted `METHOD scheme://host/…` of HTTP actions.
    target text,
    http_status integer,
    response_headers jsonb,
    response_body text,
    error_code text,
    error_type text,
    error_class text,
    error_message text,
    retryable boolean,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS idx_observer_invocation_started
    ON core.tb_observer_invocation (started_at);
CREATE INDEX IF NOT EXISTS idx_observer_invocation_observer
    ON core.tb_observer_invocation (observer, started_at);
CREATE INDEX IF NOT EXISTS idx_observer_invocation_event
    ON core.tb_observer_invocation (event_id);
