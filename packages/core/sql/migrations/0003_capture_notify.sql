-- Capture without NOTIFY, per table.
--
-- PostgreSQL refuses to PREPARE a transaction that sent a NOTIFY, and the change log's wake-up
-- trigger sends one for every inserting statement. core.fn_capture_change() takes a sixth
-- argument:
--   TG_ARGV[5] 'false' to capture without a wake-up (default 'true')
-- and then sets `fraiseql.capture_notify` to 'off' for its own INSERT into the change log, which
-- the wake-up trigger honours. Readers find such rows with their safety poll. Any writer may set
-- `fraiseql.capture_notify = off` (SET LOCAL) for the same effect on its own inserts.

CREATE OR REPLACE FUNCTION core.fn_notify_change_log() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_max_pk bigint;
BEGIN
    IF current_setting('fraiseql.capture_notify', true) = 'off' THEN
        RETURN NULL;
    END IF;
    SELECT max(pk_entity_change_log) INTO v_max_pk FROM fraiseql_inserted;
    IF v_max_pk IS NOT NULL THEN
        PERFORM pg_notify('fraiseql_change_log', v_max_pk::text);
    END IF;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION core.fn_capture_change() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    -- Transition tables have no statistics, so the planner overestimates joins on them by orders
    -- of magnitude and would JIT-compile a simple statement for longer than it takes to run.
    SET jit = off
AS $fn$
DECLARE
    v_entity_type   text := TG_ARGV[0];
    v_id_column     text := TG_ARGV[1];
    v_tenant_column text := nullif(TG_ARGV[2], '');
    v_user_column   text := nullif(TG_ARGV[3], '');
    v_pre_image     boolean := coalesce(nullif(TG_ARGV[4], ''), 'false')::boolean;
    v_notify        boolean := coalesce(nullif(TG_ARGV[5], ''), 'true')::boolean;
    v_notify_before text;
    v_metadata      jsonb := jsonb_build_object('source_table', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME);
    v_traceparent   text := nullif(current_setting('fraiseql.traceparent', true), '');
    v_tenant_type   text;
    v_user_type     text;
    v_object_type   text;
    v_tenant        text;
    v_user          text;
    v_tenant_expr   text;
    v_user_expr     text;
    v_object_expr   text;
    v_columns       text := 'tenant_id, fk_contact, object_type, object_id, modification_type, '
                            'change_status, object_data, object_data_before, updated_fields, extra_metadata';
BEGIN
    IF v_entity_type IS NULL OR v_id_column IS NULL THEN
        RAISE EXCEPTION 'core.fn_capture_change on %.%: expected trigger arguments (entity type, id column, ...)',
            TG_TABLE_SCHEMA, TG_TABLE_NAME;
    END IF;
    IF v_traceparent IS NOT NULL THEN
        v_metadata := v_metadata || jsonb_build_object('traceparent', v_traceparent);
    END IF;

    -- Cast to the change log's own column types: text in a fresh table, uuid or bigint in an
    -- existing FraiseQL one.
    SELECT max(format_type(a.atttypid, a.atttypmod)) FILTER (WHERE a.attname = 'tenant_id'),
           max(format_type(a.atttypid, a.atttypmod)) FILTER (WHERE a.attname = 'fk_contact'),
           max(format_type(a.atttypid, a.atttypmod)) FILTER (WHERE a.attname = 'object_id')
      INTO v_tenant_type, v_user_type, v_object_type
      FROM pg_attribute a
     WHERE a.attrelid = 'core.tb_entity_change_log'::regclass
       AND a.attnum > 0
       AND NOT a.attisdropped;

    -- Session settings are read once per statement.
    IF v_tenant_column IS NULL THEN
        v_tenant := core.fn_capture_setting('fraiseql.tenant_id', v_tenant_type, 'tenant_id');
        v_tenant_expr := format('CAST($3 AS %s)', v_tenant_type);
    ELSE
        v_tenant_expr := format('CAST(r.%I::text AS %s)', v_tenant_column, v_tenant_type);
    END IF;
    IF v_user_column IS NULL THEN
        v_user := core.fn_capture_setting('fraiseql.user_id', v_user_type, 'fk_contact');
        v_user_expr := format('CAST($4 AS %s)', v_user_type);
    ELSE
        v_user_expr := format('CAST(r.%I::text AS %s)', v_user_column, v_user_type);
    END IF;

    v_object_expr := format('CAST(r.%I::text AS %s)', v_id_column, v_object_type);

    -- A table captured without NOTIFY: the change log's wake-up trigger stays quiet for this
    -- statement's rows, so the writer's transaction can be prepared (two-phase commit).
    IF NOT v_notify THEN
        v_notify_before := current_setting('fraiseql.capture_notify', true);
        PERFORM set_config('fraiseql.capture_notify', 'off', true);
    END IF;

    IF TG_OP = 'INSERT' THEN
        EXECUTE format(
            'INSERT INTO core.tb_entity_change_log (%s)
             SELECT %s, %s, $1, %s, ''INSERT'', ''captured'', to_jsonb(r.*), NULL, NULL, $2
               FROM fraiseql_new r',
            v_columns, v_tenant_expr, v_user_expr, v_object_expr)
        USING v_entity_type, v_metadata, v_tenant, v_user;
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format(
            'INSERT INTO core.tb_entity_change_log (%s)
             SELECT %s, %s, $1, %s, ''DELETE'', ''captured'', NULL, to_jsonb(r.*), NULL, $2
               FROM fraiseql_old r',
            v_columns, v_tenant_expr, v_user_expr, v_object_expr)
        USING v_entity_type, v_metadata, v_tenant, v_user;
    ELSIF TG_OP = 'UPDATE' THEN
        -- Old and new rows are paired on the id column. A row whose id itself changed has no
        -- partner: it is recorded as the DELETE of the old id and the INSERT of the new one.
        -- Pairs whose JSON images are equal did not really change and are skipped. The CTEs are
        -- materialized so each image and each field list is computed once per row.
        EXECUTE format(
            'WITH pairs AS MATERIALIZED (
                 SELECT %2$s AS tenant_id, %3$s AS fk_contact, %4$s AS object_id,
                        to_jsonb(o.*) AS before, to_jsonb(r.*) AS after
                   FROM fraiseql_old o
                   JOIN fraiseql_new r ON r.%5$I = o.%5$I
             ), changed AS MATERIALIZED (
                 SELECT p.*,
                        (SELECT array_agg(e.key ORDER BY e.key)
                           FROM jsonb_each(p.after) e
                          WHERE e.value IS DISTINCT FROM p.before -> e.key) AS fields
                   FROM pairs p
             )
             INSERT INTO core.tb_entity_change_log (%1$s)
             SELECT c.tenant_id, c.fk_contact, $1, c.object_id, ''UPDATE'', ''captured'', c.after,
                    CASE WHEN $5 THEN c.before
                         ELSE (SELECT jsonb_object_agg(f, c.before -> f) FROM unnest(c.fields) f) END,
                    c.fields, $2
               FROM changed c
              WHERE c.fields IS NOT NULL
             UNION ALL
             SELECT %2$s, %3$s, $1, %4$s, ''DELETE'', ''captured'', NULL, to_jsonb(r.*), NULL, $2
               FROM fraiseql_old r
              WHERE NOT EXISTS (SELECT 1 FROM fraiseql_new n WHERE n.%5$I = r.%5$I)
             UNION ALL
             SELECT %2$s, %3$s, $1, %4$s, ''INSERT'', ''captured'', to_jsonb(r.*), NULL, NULL, $2
               FROM fraiseql_new r
              WHERE NOT EXISTS (SELECT 1 FROM fraiseql_old o WHERE o.%5$I = r.%5$I)',
            v_columns, v_tenant_expr, v_user_expr, v_object_expr, v_id_column)
        USING v_entity_type, v_metadata, v_tenant, v_user, v_pre_image;
    END IF;
    IF NOT v_notify THEN
        PERFORM set_config('fraiseql.capture_notify', coalesce(v_notify_before, ''), true);
    END IF;
    RETURN NULL;
END
$fn$;

REVOKE ALL ON FUNCTION core.fn_capture_change() FROM PUBLIC;
