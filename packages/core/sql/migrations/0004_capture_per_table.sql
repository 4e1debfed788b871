-- Capture through a function generated for each table, and at most one wake-up per transaction.
--
-- core.fn_capture_change() (0002, 0003) is generic: it plans dynamic SQL on every statement and
-- finds an UPDATE's changed fields by walking the JSON images of every row. installCapture now
-- generates one function per captured table instead (core.fn_capture_statements): static SQL
-- over the transition tables, the columns known, the change-log column types and the options
-- baked in, so PL/pgSQL caches its plans; an UPDATE compares the columns one by one and skips
-- unchanged rows in the same statement; the whole previous row is only kept with preImage.
-- The generated function depends on the table's columns, so it is generated again when they
-- change: an event trigger on ALTER TABLE (created when the migration runs as a superuser; event
-- triggers also never fire on PGlite) or core.fn_capture_refresh(table) /
-- `fraiseql capture refresh` after the change.
--
-- The capture triggers keep the arguments of the generic function (entity type, id column,
-- tenant column, user column, pre-image, notify), so listCaptures reads them as before, plus the
-- attribute numbers of the id, tenant and user columns, so a refresh follows a renamed column.
-- Tables captured by core.fn_capture_change() keep working; a refresh moves them to their own
-- function.
--
-- Wake-ups: the change log's NOTIFY trigger now sends at most one NOTIFY per transaction (the
-- transaction-local setting `fraiseql.change_log_notified` records that one was sent; it is
-- undone with the transaction or subtransaction, like the NOTIFY itself). The payload is the
-- highest sequence the transaction had inserted when the NOTIFY was sent. A generated capture
-- function sends the NOTIFY itself, so the change log's trigger does not run for its inserts.

CREATE OR REPLACE FUNCTION core.fn_notify_change_log() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    -- The lookup below must use the (transaction_id, pk) index whatever the statistics say (a
    -- change log that was never analysed looks empty to the planner).
    SET enable_seqscan = off
AS $fn$
DECLARE
    v_max_pk bigint;
BEGIN
    IF current_setting('fraiseql.capture_notify', true) = 'off'
       OR current_setting('fraiseql.change_log_notified', true) = 'on' THEN
        RETURN NULL;
    END IF;
    SELECT pk_entity_change_log INTO v_max_pk
      FROM core.tb_entity_change_log
     WHERE transaction_id = pg_current_xact_id()
     ORDER BY transaction_id DESC, pk_entity_change_log DESC
     LIMIT 1;
    IF v_max_pk IS NOT NULL THEN
        PERFORM set_config('fraiseql.change_log_notified', 'on', true);
        PERFORM pg_notify('fraiseql_change_log', v_max_pk::text);
    END IF;
    RETURN NULL;
END
$fn$;

-- No transition table any more (the payload comes from the transaction_id index), and a WHEN
-- clause, so a transaction's later inserts do not even call the function.
DROP TRIGGER IF EXISTS fraiseql_change_log_notify ON core.tb_entity_change_log;
CREATE TRIGGER fraiseql_change_log_notify
    AFTER INSERT ON core.tb_entity_change_log
    FOR EACH STATEMENT
    WHEN (pg_catalog.current_setting('fraiseql.change_log_notified', true) IS DISTINCT FROM 'on'
          AND pg_catalog.current_setting('fraiseql.capture_notify', true) IS DISTINCT FROM 'off')
    EXECUTE FUNCTION core.fn_notify_change_log();

-- `"name"` quoted always, like the TypeScript quoteIdent, so statements read the same from both.
CREATE OR REPLACE FUNCTION core.fn_capture_quote(p_name text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT
    SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT '"' || replace(p_name, '"', '""') || '"' $fn$;

-- The CREATE FUNCTION statement of one table's capture function.
CREATE OR REPLACE FUNCTION core.fn_capture_function_sql(
    p_table regclass, p_function text, p_entity_type text, p_id_column text,
    p_tenant_column text, p_user_column text, p_pre_image boolean, p_notify boolean)
    RETURNS text
    LANGUAGE plpgsql
    STABLE
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_table         text := p_table::text;
    v_tenant_type   text;
    v_user_type     text;
    v_object_type   text;
    v_sequence      text;
    v_columns       text := 'tenant_id, fk_contact, object_type, object_id, modification_type, '
                            'change_status, object_data, object_data_before, updated_fields, extra_metadata';
    v_entity        text := quote_literal(p_entity_type);
    v_changed       text[] := '{}';
    v_names         text[] := '{}';
    v_flags         text := '';
    v_any           text;
    v_fields        text;
    v_unchanged     text;
    v_before        text;
    v_settings      text := '';
    v_notify_start  text := '';
    v_notify_end    text := '';
    v_body          text;
    v_tag           text := '$fraiseql$';
    v_n             integer := 0;
    r               record;
BEGIN
    SELECT max(format_type(a.atttypid, a.atttypmod)) FILTER (WHERE a.attname = 'tenant_id'),
           max(format_type(a.atttypid, a.atttypmod)) FILTER (WHERE a.attname = 'fk_contact'),
           max(format_type(a.atttypid, a.atttypmod)) FILTER (WHERE a.attname = 'object_id')
      INTO v_tenant_type, v_user_type, v_object_type
      FROM pg_attribute a
     WHERE a.attrelid = 'core.tb_entity_change_log'::regclass AND a.attnum > 0 AND NOT a.attisdropped;
    v_sequence := pg_get_serial_sequence('core.tb_entity_change_log', 'pk_entity_change_log');

    FOR r IN
        SELECT a.attname::text AS name,
               (a.atttypid IN ('bool'::regtype, 'int2'::regtype, 'int4'::regtype, 'int8'::regtype,
                               'uuid'::regtype, 'date'::regtype, 'timestamp'::regtype,
                               'timestamptz'::regtype, 'numeric'::regtype, 'bytea'::regtype)
                OR (a.atttypid IN ('text'::regtype, 'varchar'::regtype)
                    AND coalesce((SELECT c.collisdeterministic FROM pg_collation c
                                   WHERE c.oid = a.attcollation), true))) AS plain
          FROM pg_attribute a
         WHERE a.attrelid = p_table AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY a.attname::text
    LOOP
        v_n := v_n + 1;
        v_names := v_names || r.name;
        -- The old function compared JSON images (`to_jsonb(new) -> key` against the old one);
        -- for these types equality of the values is the same test, for the others compare
        -- their JSON, with SQL NULL as JSON null as a row image has it.
        v_changed := v_changed || CASE WHEN r.plain
            THEN format('o.%1$I IS DISTINCT FROM n.%1$I', r.name)
            ELSE format('coalesce(to_jsonb(o.%1$I), ''null''::jsonb) IS DISTINCT FROM coalesce(to_jsonb(n.%1$I), ''null''::jsonb)', r.name)
        END;
    END LOOP;
    IF v_n = 0 THEN
        RAISE EXCEPTION 'core.fn_capture_function_sql: % has no columns', v_table;
    END IF;
    IF NOT (p_id_column = ANY (v_names)) THEN
        RAISE EXCEPTION 'fraiseql capture: column % (idColumn) does not exist on table %', quote_ident(p_id_column), v_table
            USING ERRCODE = 'undefined_column';
    END IF;
    IF p_tenant_column <> '' AND NOT (p_tenant_column = ANY (v_names)) THEN
        RAISE EXCEPTION 'fraiseql capture: column % (tenantColumn) does not exist on table %', quote_ident(p_tenant_column), v_table
            USING ERRCODE = 'undefined_column';
    END IF;
    IF p_user_column <> '' AND NOT (p_user_column = ANY (v_names)) THEN
        RAISE EXCEPTION 'fraiseql capture: column % (userColumn) does not exist on table %', quote_ident(p_user_column), v_table
            USING ERRCODE = 'undefined_column';
    END IF;

    FOR i IN 1 .. v_n LOOP
        v_flags := v_flags || CASE WHEN i > 1 THEN ', ' ELSE '' END || v_changed[i] || format(' AS c%s', i);
    END LOOP;
    SELECT string_agg(format('d.c%s', i), ' OR '),
           string_agg(format('CASE WHEN d.c%s THEN %L END', i, v_names[i]), ', '),
           string_agg(format('CASE WHEN NOT d.c%s THEN %L END', i, v_names[i]), ', ')
      INTO v_any, v_fields, v_unchanged
      FROM generate_series(1, v_n) i;
    v_before := CASE WHEN p_pre_image THEN 'to_jsonb(o.*)'
                     ELSE format('to_jsonb(o.*) - ARRAY[%s]::text[]', v_unchanged) END;

    -- Tenant and user: a column of the row, or the transaction's setting read once per statement.
    -- A setting the change log's column type cannot hold is dropped with a warning (by
    -- core.fn_capture_setting), never failing the writer.
    IF p_tenant_column = '' THEN
        v_settings := v_settings || CASE WHEN v_tenant_type = 'text'
            THEN E'\n    v_tenant := nullif(current_setting(''fraiseql.tenant_id'', true), '''');'
            ELSE format(E'\n    v_tenant := core.fn_capture_setting(''fraiseql.tenant_id'', %L, ''tenant_id'');', v_tenant_type) END;
    END IF;
    IF p_user_column = '' THEN
        v_settings := v_settings || CASE WHEN v_user_type = 'text'
            THEN E'\n    v_user := nullif(current_setting(''fraiseql.user_id'', true), '''');'
            ELSE format(E'\n    v_user := core.fn_capture_setting(''fraiseql.user_id'', %L, ''fk_contact'');', v_user_type) END;
    END IF;

    IF NOT p_notify THEN
        -- Captured without a wake-up: the change log's trigger stays quiet for these rows, so
        -- the writer's transaction can be prepared (two-phase commit).
        v_notify_start := E'\n    v_notify_before := current_setting(''fraiseql.capture_notify'', true);' ||
                          E'\n    PERFORM set_config(''fraiseql.capture_notify'', ''off'', true);';
        v_notify_end := E'\n    PERFORM set_config(''fraiseql.capture_notify'', coalesce(v_notify_before, ''''), true);';
    ELSIF v_sequence IS NOT NULL THEN
        -- The first inserting statement of a transaction sends its one NOTIFY itself (the
        -- highest sequence it took is the sequence's current value in this session); the flag is
        -- set first so the change log's own trigger skips these rows.
        v_notify_start := E'\n    v_notify := current_setting(''fraiseql.change_log_notified'', true) IS DISTINCT FROM ''on''' ||
                          E'\n                AND current_setting(''fraiseql.capture_notify'', true) IS DISTINCT FROM ''off'';' ||
                          E'\n    IF v_notify THEN' ||
                          E'\n        PERFORM set_config(''fraiseql.change_log_notified'', ''on'', true);' ||
                          E'\n    END IF;';
        v_notify_end := format(
                          E'\n    IF v_notify THEN' ||
                          E'\n        GET DIAGNOSTICS v_rows = ROW_COUNT;' ||
                          E'\n        IF v_rows > 0 THEN' ||
                          E'\n            PERFORM pg_notify(''fraiseql_change_log'', currval(%L::regclass)::text);' ||
                          E'\n        ELSE' ||
                          E'\n            PERFORM set_config(''fraiseql.change_log_notified'', '''', true);' ||
                          E'\n        END IF;' ||
                          E'\n    END IF;', v_sequence);
    END IF;

    v_body := format($body$
-- Generated by core.fn_capture_function_sql for %1$s; generated again when its columns change.
DECLARE
    v_metadata      jsonb := jsonb_build_object('source_table', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME);
    v_traceparent   text := current_setting('fraiseql.traceparent', true);
    v_tenant        text;
    v_user          text;
    v_notify        boolean := false;
    v_notify_before text;
    v_rows          bigint;
BEGIN
    IF v_traceparent <> '' THEN
        v_metadata := v_metadata || jsonb_build_object('traceparent', v_traceparent);
    END IF;%2$s%3$s
    IF TG_OP = 'INSERT' THEN
        INSERT INTO core.tb_entity_change_log (%4$s)
        SELECT %5$s, %6$s, %7$s, %8$s, 'INSERT', 'captured', to_jsonb(n.*), NULL, NULL, v_metadata
          FROM fraiseql_new n;
    ELSIF TG_OP = 'UPDATE' THEN
        -- Old and new rows are paired on the id column; pairs whose columns are all equal did not
        -- really change and are skipped. A row whose id changed has no partner: it is recorded as
        -- the DELETE of the old id and the INSERT of the new one.
        INSERT INTO core.tb_entity_change_log (%4$s)
        SELECT %5$s, %6$s, %7$s, %8$s, 'UPDATE', 'captured', to_jsonb(n.*), %9$s,
               array_remove(ARRAY[%10$s]::text[], NULL), v_metadata
          FROM fraiseql_old o
          JOIN fraiseql_new n ON n.%11$I = o.%11$I
         CROSS JOIN LATERAL (SELECT %12$s OFFSET 0) d
         WHERE %13$s
        UNION ALL
        SELECT %14$s, %15$s, %7$s, %16$s, 'DELETE', 'captured', NULL, to_jsonb(o.*), NULL, v_metadata
          FROM fraiseql_old o
         WHERE NOT EXISTS (SELECT 1 FROM fraiseql_new n WHERE n.%11$I = o.%11$I)
        UNION ALL
        SELECT %5$s, %6$s, %7$s, %8$s, 'INSERT', 'captured', to_jsonb(n.*), NULL, NULL, v_metadata
          FROM fraiseql_new n
         WHERE NOT EXISTS (SELECT 1 FROM fraiseql_old o WHERE o.%11$I = n.%11$I);
    ELSE
        INSERT INTO core.tb_entity_change_log (%4$s)
        SELECT %14$s, %15$s, %7$s, %16$s, 'DELETE', 'captured', NULL, to_jsonb(o.*), NULL, v_metadata
          FROM fraiseql_old o;
    END IF;%17$s
    RETURN NULL;
END
$body$,
        v_table,
        v_settings,
        v_notify_start,
        v_columns,
        CASE WHEN p_tenant_column = '' THEN (CASE WHEN v_tenant_type = 'text' THEN 'v_tenant' ELSE format('CAST(v_tenant AS %s)', v_tenant_type) END)
             ELSE format('CAST(n.%I::text AS %s)', p_tenant_column, v_tenant_type) END,
        CASE WHEN p_user_column = '' THEN (CASE WHEN v_user_type = 'text' THEN 'v_user' ELSE format('CAST(v_user AS %s)', v_user_type) END)
             ELSE format('CAST(n.%I::text AS %s)', p_user_column, v_user_type) END,
        v_entity,
        format('CAST(n.%I::text AS %s)', p_id_column, v_object_type),
        v_before,
        v_fields,
        p_id_column,
        v_flags,
        v_any,
        CASE WHEN p_tenant_column = '' THEN (CASE WHEN v_tenant_type = 'text' THEN 'v_tenant' ELSE format('CAST(v_tenant AS %s)', v_tenant_type) END)
             ELSE format('CAST(o.%I::text AS %s)', p_tenant_column, v_tenant_type) END,
        CASE WHEN p_user_column = '' THEN (CASE WHEN v_user_type = 'text' THEN 'v_user' ELSE format('CAST(v_user AS %s)', v_user_type) END)
             ELSE format('CAST(o.%I::text AS %s)', p_user_column, v_user_type) END,
        format('CAST(o.%I::text AS %s)', p_id_column, v_object_type),
        v_notify_end);

    -- A dollar-quote tag that no column name or entity type in the body contains.
    v_n := 0;
    WHILE position(v_tag IN v_body) > 0 LOOP
        v_n := v_n + 1;
        v_tag := format('$fraiseql%s$', v_n);
    END LOOP;

    -- PL/pgSQL keeps each statement's plan for the session, planned for the sizes the
    -- transition tables had then (often one row): a nested loop pairing 10,000 old and new rows
    -- later would take seconds. Without nested loops the pairing is a hash join whatever the
    -- sizes. Transition tables have no statistics either, so estimates can be far off and JIT
    -- would compile simple statements for longer than they run.
    RETURN format(E'CREATE OR REPLACE FUNCTION core.%s() RETURNS trigger\n' ||
                  E'    LANGUAGE plpgsql\n' ||
                  E'    SECURITY DEFINER\n' ||
                  E'    SET search_path = pg_catalog, pg_temp\n' ||
                  E'    SET jit = off\n' ||
                  E'    SET enable_nestloop = off\n' ||
                  E'AS %s%s%s',
                  core.fn_capture_quote(p_function), v_tag, v_body, v_tag);
END
$fn$;

-- The arguments of a trigger, as text.
CREATE OR REPLACE FUNCTION core.fn_capture_trigger_args(p_args bytea, p_count integer)
    RETURNS text[]
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_args text[] := '{}';
    v_rest bytea := p_args;
    v_pos  integer;
BEGIN
    FOR i IN 1 .. p_count LOOP
        v_pos := position('\x00'::bytea IN v_rest);
        v_args := v_args || convert_from(substring(v_rest FROM 1 FOR v_pos - 1), getdatabaseencoding());
        v_rest := substring(v_rest FROM v_pos + 1);
    END LOOP;
    RETURN v_args;
END
$fn$;

-- Every statement that makes a table captured by its own function: the function (its name kept
-- when the table already has one of its own), and, unless p_triggers is false, the three
-- triggers.
CREATE OR REPLACE FUNCTION core.fn_capture_statements(
    p_table regclass, p_entity_type text, p_id_column text, p_tenant_column text,
    p_user_column text, p_pre_image boolean, p_notify boolean, p_triggers boolean DEFAULT true)
    RETURNS text[]
    LANGUAGE plpgsql
    STABLE
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_schema    text;
    v_name      text;
    v_function  text;
    v_table     text;
    v_args      text;
    v_call      text;
    v_attnums   integer[];
    v_n         integer := 0;
BEGIN
    SELECT n.nspname, c.relname INTO v_schema, v_name
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = p_table;
    v_table := core.fn_capture_quote(v_schema) || '.' || core.fn_capture_quote(v_name);

    -- Keep the table's own function; otherwise a new name, not used by any other table.
    SELECT p.proname INTO v_function
      FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
     WHERE t.tgrelid = p_table AND NOT t.tgisinternal
       AND t.tgname IN ('fraiseql_capture_insert', 'fraiseql_capture_update', 'fraiseql_capture_delete')
       AND p.pronamespace = 'core'::regnamespace AND p.proname LIKE 'fn\_capture\_t\_%'
       AND NOT EXISTS (SELECT 1 FROM pg_trigger o WHERE o.tgfoid = p.oid AND o.tgrelid <> p_table)
     LIMIT 1;
    IF v_function IS NULL THEN
        LOOP
            v_function := 'fn_capture_t_' || p_table::oid::text
                          || CASE WHEN v_n > 0 THEN '_' || v_n ELSE '' END;
            EXIT WHEN NOT EXISTS (
                SELECT 1 FROM pg_proc p
                 WHERE p.pronamespace = 'core'::regnamespace AND p.proname = v_function
                   AND EXISTS (SELECT 1 FROM pg_trigger o WHERE o.tgfoid = p.oid AND o.tgrelid <> p_table));
            v_n := v_n + 1;
        END LOOP;
    END IF;

    IF NOT p_triggers THEN
        RETURN ARRAY[core.fn_capture_function_sql(p_table, v_function, p_entity_type, p_id_column,
                                                  p_tenant_column, p_user_column, p_pre_image, p_notify)];
    END IF;

    SELECT array_agg(coalesce((SELECT a.attnum FROM pg_attribute a
                                WHERE a.attrelid = p_table AND a.attname = c AND NOT a.attisdropped), 0)
                     ORDER BY ord)
      INTO v_attnums
      FROM unnest(ARRAY[p_id_column, p_tenant_column, p_user_column]) WITH ORDINALITY AS u(c, ord);
    SELECT string_agg(quote_literal(a), ', ') INTO v_args
      FROM unnest(ARRAY[p_entity_type, p_id_column, p_tenant_column, p_user_column,
                        p_pre_image::text, p_notify::text,
                        v_attnums[1]::text, v_attnums[2]::text, v_attnums[3]::text]) a;
    v_call := format('FOR EACH STATEMENT EXECUTE FUNCTION core.%s(%s)', core.fn_capture_quote(v_function), v_args);
    RETURN ARRAY[
        core.fn_capture_function_sql(p_table, v_function, p_entity_type, p_id_column,
                                     p_tenant_column, p_user_column, p_pre_image, p_notify),
        format('REVOKE ALL ON FUNCTION core.%s() FROM PUBLIC', core.fn_capture_quote(v_function)),
        format('DROP TRIGGER IF EXISTS fraiseql_capture_insert ON %s', v_table),
        format('DROP TRIGGER IF EXISTS fraiseql_capture_update ON %s', v_table),
        format('DROP TRIGGER IF EXISTS fraiseql_capture_delete ON %s', v_table),
        format('CREATE TRIGGER fraiseql_capture_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS fraiseql_new %s', v_table, v_call),
        format('CREATE TRIGGER fraiseql_capture_update AFTER UPDATE ON %s REFERENCING OLD TABLE AS fraiseql_old NEW TABLE AS fraiseql_new %s', v_table, v_call),
        format('CREATE TRIGGER fraiseql_capture_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS fraiseql_old %s', v_table, v_call)
    ];
END
$fn$;

-- The statements that bring a captured table's function up to date with its columns: only the
-- function when its options still name the same columns; the triggers too when a column the
-- options name was renamed (followed by its attribute number), or when the table is still
-- captured by the generic core.fn_capture_change(). Empty for a table that is not captured.
CREATE OR REPLACE FUNCTION core.fn_capture_refresh_statements(p_table regclass)
    RETURNS text[]
    LANGUAGE plpgsql
    STABLE
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_args     text[];
    v_generic  boolean;
    v_columns  text[] := '{}';
    v_column   text;
    v_attnum   integer;
    v_renamed  boolean := false;
BEGIN
    SELECT core.fn_capture_trigger_args(t.tgargs, t.tgnargs), p.proname = 'fn_capture_change'
      INTO v_args, v_generic
      FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
     WHERE t.tgrelid = p_table AND NOT t.tgisinternal
       AND t.tgname IN ('fraiseql_capture_insert', 'fraiseql_capture_update', 'fraiseql_capture_delete')
       AND p.pronamespace = 'core'::regnamespace
     ORDER BY t.tgname = 'fraiseql_capture_update' DESC, t.tgname
     LIMIT 1;
    IF v_args IS NULL THEN
        RETURN '{}';
    END IF;
    FOR i IN 1 .. 3 LOOP
        v_column := coalesce(v_args[i + 1], '');
        v_attnum := nullif(coalesce(nullif(v_args[i + 6], ''), '0')::integer, 0);
        IF v_attnum IS NOT NULL THEN
            SELECT a.attname INTO v_column FROM pg_attribute a
             WHERE a.attrelid = p_table AND a.attnum = v_attnum AND NOT a.attisdropped;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'fraiseql capture: column % (%) of % was dropped; install the capture again with another column, or remove it',
                    quote_ident(v_args[i + 1]), (ARRAY['idColumn', 'tenantColumn', 'userColumn'])[i], p_table
                    USING ERRCODE = 'dependent_objects_still_exist';
            END IF;
            v_renamed := v_renamed OR v_column <> v_args[i + 1];
        END IF;
        v_columns := v_columns || v_column;
    END LOOP;
    RETURN core.fn_capture_statements(
        p_table, v_args[1], v_columns[1], v_columns[2], v_columns[3],
        coalesce(nullif(v_args[5], ''), 'false')::boolean,
        coalesce(nullif(v_args[6], ''), 'true')::boolean,
        v_generic OR v_renamed OR coalesce(array_length(v_args, 1), 0) < 9);
END
$fn$;

-- Runs the statements of core.fn_capture_refresh_statements and returns them.
CREATE OR REPLACE FUNCTION core.fn_capture_refresh(p_table regclass)
    RETURNS text[]
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_statements text[] := core.fn_capture_refresh_statements(p_table);
    v_statement  text;
BEGIN
    FOREACH v_statement IN ARRAY v_statements LOOP
        EXECUTE v_statement;
    END LOOP;
    RETURN v_statements;
END
$fn$;

REVOKE ALL ON FUNCTION core.fn_capture_function_sql(regclass, text, text, text, text, text, boolean, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION core.fn_capture_statements(regclass, text, text, text, text, boolean, boolean, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION core.fn_capture_refresh_statements(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION core.fn_capture_refresh(regclass) FROM PUBLIC;

-- ALTER TABLE on a table captured by its own function generates the function again (and the
-- change log's own ALTER TABLE, whose column types the functions cast to, every one of them).
-- It runs as its owner because the capture functions belong to whoever installed them; a column
-- the capture needs that was dropped makes the ALTER TABLE fail with the reason.
CREATE OR REPLACE FUNCTION core.fn_capture_on_alter_table() RETURNS event_trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_table oid;
BEGIN
    FOR v_table IN
        SELECT DISTINCT t.tgrelid
          FROM pg_event_trigger_ddl_commands() c
          JOIN pg_trigger t ON c.objid = 'core.tb_entity_change_log'::regclass OR t.tgrelid = c.objid
          JOIN pg_proc p ON p.oid = t.tgfoid
         WHERE c.classid = 'pg_class'::regclass
           AND NOT t.tgisinternal
           AND t.tgname IN ('fraiseql_capture_insert', 'fraiseql_capture_update', 'fraiseql_capture_delete')
           AND p.pronamespace = 'core'::regnamespace AND p.proname LIKE 'fn\_capture\_t\_%'
    LOOP
        PERFORM core.fn_capture_refresh(v_table::regclass);
    END LOOP;
END
$fn$;

REVOKE ALL ON FUNCTION core.fn_capture_on_alter_table() FROM PUBLIC;

DO $do$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND rolsuper) THEN
        DROP EVENT TRIGGER IF EXISTS fraiseql_capture_refresh;
        CREATE EVENT TRIGGER fraiseql_capture_refresh ON ddl_command_end
            WHEN TAG IN ('ALTER TABLE')
            EXECUTE FUNCTION core.fn_capture_on_alter_table();
    ELSE
        RAISE NOTICE 'fraiseql capture: not a superuser, so no event trigger regenerates capture functions on ALTER TABLE; run `fraiseql capture refresh` (refreshCapture) after changing a captured table''s columns';
    END IF;
END
$do$;
