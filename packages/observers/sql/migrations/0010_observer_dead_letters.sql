-- Dead-letter queue of observer actions that failed for good (retries exhausted or a permanent
-- error) under `onFailure: dlq`. One row per (event, observer, action); a redelivered failure
-- updates the row instead of adding another. Rows leave the table when a retry succeeds or an
-- operator removes them.
CREATE SCHEMA IF NOT EXISTS core;

CREATE TABLE IF NOT EXISTS core.tb_observer_dead_letter (
    pk_observer_dead_letter bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    event_id text NOT NULL,
    event_seq bigint,
    event_type text NOT NULL,
    entity_type text NOT NULL,
    entity_id text NOT NULL,
    -- The event in its JSON form (seq as a string), as it crosses queues and HTTP.
    event jsonb NOT NULL,
    observer text NOT NULL,
    action_index integer NOT NULL,
    action_type text NOT NULL,
    error_code text NOT NULL,
    error_type text NOT NULL,
    error_message text NOT NULL,
    -- [{ "attempt": 1, "at": "…", "durationMs": 12, "errorCode": "…", "errorType": "…", "error": "…" }]
    attempts jsonb NOT NULL DEFAULT '[]'::jsonb,
    retry_count integer NOT NULL DEFAULT 0,
    -- Set while a retry of this row runs, so two operators never retry it at once.
    locked_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_observer_dead_letter_action UNIQUE (event_id, observer, action_index)
);

CREATE INDEX IF NOT EXISTS idx_observer_dead_letter_observer
    ON core.tb_observer_dead_letter (observer, created_at);
CREATE INDEX IF NOT EXISTS idx_observer_dead_letter_entity
    ON core.tb_observer_dead_letter (entity_type, created_at);
CREATE INDEX IF NOT EXISTS idx_observer_dead_letter_created
    ON core.tb_observer_dead_letter (created_at);
