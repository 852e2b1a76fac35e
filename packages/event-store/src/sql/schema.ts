/** @internal Bumped when the schema changes; each version's script runs once per database schema. */
export const SCHEMA_VERSION = 2;

/**
 * @internal The PostgreSQL schema, shared verbatim by the PGlite adapter.
 *
 * The global order is (writer's transaction id, global position): readers only see rows of
 * transactions older than every transaction still running, so an event committed late by a slow
 * writer is never skipped (the sequence-gap problem). Each append takes a per-stream advisory lock
 * before its transaction owns an id, so a stream's events are also in stream order in the global
 * order; the guard below turns the rare exception (a transaction that wrote earlier) into a retry.
 */
export function schemaScript(schema: string): string {
  const s = `"${schema}"`;
  return `
CREATE SCHEMA IF NOT EXISTS ${s};

CREATE TABLE IF NOT EXISTS ${s}.es_streams (
  tenant_id   text        NOT NULL,
  stream_id   text        NOT NULL,
  version     bigint      NOT NULL,
  last_tx_id  xid8        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, stream_id)
);

CREATE TABLE IF NOT EXISTS ${s}.es_events (
  global_position bigint      GENERATED ALWAYS AS IDENTITY,
  tx_id           xid8        NOT NULL,
  tenant_id       text        NOT NULL,
  stream_id       text        NOT NULL,
  stream_version  bigint      NOT NULL,
  event_id        text        NOT NULL,
  event_type      text        NOT NULL,
  schema_version  integer     NOT NULL,
  data            jsonb       NOT NULL,
  metadata        jsonb       NOT NULL,
  created_at      timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, stream_id, stream_version),
  UNIQUE (tenant_id, event_id)
);
CREATE INDEX IF NOT EXISTS es_events_global_order ON ${s}.es_events (tx_id, global_position);

CREATE TABLE IF NOT EXISTS ${s}.es_checkpoints (
  name            text        PRIMARY KEY,
  tx_id           xid8        NOT NULL,
  global_position bigint      NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS ${s}.es_documents (
  projection  text        NOT NULL,
  tenant_id   text        NOT NULL,
  id          text        NOT NULL,
  doc         jsonb       NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projection, tenant_id, id)
);

-- The global order after a checkpoint, as readAll and subscriptions page through it. Sorting is
-- off so the plan keeps to the (tx_id, global_position) index, whose order is the answer's: with
-- statistics that lag a table that just grew, the planner would otherwise fetch and sort every
-- event after the checkpoint for each page, and a subscription catching up would slow to a crawl.
CREATE OR REPLACE FUNCTION ${s}.es_read_all(p_after_tx xid8, p_after_position bigint, p_tenant text, p_types text[], p_limit integer)
RETURNS SETOF ${s}.es_events
LANGUAGE sql STABLE SET enable_sort = off AS $fn$
  SELECT * FROM ${s}.es_events e
   WHERE (e.tx_id, e.global_position) > (p_after_tx, p_after_position)
     -- Only rows of transactions older than every running one: nothing can commit before them later.
     AND e.tx_id < pg_snapshot_xmin(pg_current_snapshot())
     AND (p_tenant IS NULL OR e.tenant_id = p_tenant)
     AND (p_types IS NULL OR e.event_type = ANY (p_types))
   ORDER BY e.tx_id, e.global_position
   LIMIT p_limit
$fn$;

-- A subscription's next batch: claims the subscription (one consumer at a time, across processes,
-- until the caller's transaction ends), then reads the events after its stored checkpoint, in one
-- round trip. No rows when another consumer holds the claim. Each statement of a PL/pgSQL function
-- takes its own snapshot, so the read sees the checkpoint the previous holder committed.
CREATE OR REPLACE FUNCTION ${s}.es_claim_batch(p_name text, p_tenant text, p_types text[], p_limit integer)
RETURNS SETOF ${s}.es_events
LANGUAGE plpgsql AS $fn$
BEGIN
  IF pg_try_advisory_xact_lock(hashtextextended('sagaline-subscription:' || p_name, 1)) THEN
    RETURN QUERY SELECT e.* FROM ${s}.es_read_all(
      coalesce((SELECT c.tx_id FROM ${s}.es_checkpoints c WHERE c.name = p_name), '0'::xid8),
      coalesce((SELECT c.global_position FROM ${s}.es_checkpoints c WHERE c.name = p_name), 0),
      p_tenant, p_types, p_limit) e;
  END IF;
END
$fn$;

-- p_expected: NULL any, -1 no_stream, -2 stream_exists, >= 0 the exact version.
-- p_events: a JSON array of {id, type, v, data, metadata}, sent as text so every driver passes it alike.
CREATE OR REPLACE FUNCTION ${s}.es_append(p_tenant text, p_stream text, p_expected bigint, p_events text)
RETURNS TABLE (status text, version bigint, tx text, positions bigint[], created timestamptz, ids text[])
-- Plans are made per call: a plan cached while the table was small would scan a whole tenant to
-- find duplicate ids once it is large.
LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $fn$
DECLARE
  v_batch     jsonb := p_events::jsonb;
  v_count     integer := jsonb_array_length(v_batch);
  v_found     integer;
  v_in_stream integer;
  v_max       bigint;
  v_dups      text[];
  v_current   bigint;
  v_last_tx   xid8;
  v_tx        xid8;
  v_now       timestamptz := now();
  v_positions bigint[];
  v_ids       text[];
  v_stored    boolean;
BEGIN
  SELECT array_agg(x->>'id') INTO v_ids FROM jsonb_array_elements(v_batch) AS x;

  IF p_expected IS NOT NULL THEN
    -- An append that expects a version checks it before queueing for the stream's lock as well:
    -- when many writers expect the same version, the first commit dooms the others, and each
    -- would otherwise wait its turn for the lock only to fail, ahead of the winner's next append.
    -- One statement, one snapshot, so a replay (its ids stored) is never reported as a conflict.
    SELECT EXISTS (SELECT 1 FROM ${s}.es_events e WHERE e.tenant_id = p_tenant AND e.event_id = ANY (v_ids)),
           coalesce((SELECT st.version FROM ${s}.es_streams st WHERE st.tenant_id = p_tenant AND st.stream_id = p_stream), 0)
      INTO v_stored, v_current;
    IF NOT v_stored AND NOT (
         (p_expected = -1 AND v_current = 0) OR (p_expected = -2 AND v_current > 0) OR (p_expected >= 0 AND p_expected = v_current)) THEN
      RETURN QUERY SELECT 'wrong_version'::text, v_current, NULL::text, NULL::bigint[], NULL::timestamptz, NULL::text[];
      RETURN;
    END IF;
  END IF;

  -- The lock is taken before this transaction owns an id (advisory locks need none), so the id
  -- it gets below is younger than the previous writer's.
  PERFORM pg_advisory_xact_lock(hashtextextended(p_tenant || '/' || p_stream, 0));
  SELECT count(*), count(*) FILTER (WHERE e.stream_id = p_stream), max(e.stream_version), array_agg(e.event_id)
    INTO v_found, v_in_stream, v_max, v_dups
    FROM ${s}.es_events e
   WHERE e.tenant_id = p_tenant AND e.event_id = ANY (v_ids);
  IF v_found > 0 THEN
    IF v_found = v_count AND v_in_stream = v_count THEN
      RETURN QUERY SELECT 'replay'::text, v_max, NULL::text, NULL::bigint[], NULL::timestamptz, v_dups;
    ELSE
      RETURN QUERY SELECT 'duplicate'::text, NULL::bigint, NULL::text, NULL::bigint[], NULL::timestamptz, v_dups;
    END IF;
    RETURN;
  END IF;

  SELECT st.version, st.last_tx_id INTO v_current, v_last_tx
    FROM ${s}.es_streams st WHERE st.tenant_id = p_tenant AND st.stream_id = p_stream;
  IF NOT FOUND THEN
    v_current := 0;
  END IF;
  IF p_expected IS NOT NULL AND NOT (
       (p_expected = -1 AND v_current = 0) OR (p_expected = -2 AND v_current > 0) OR (p_expected >= 0 AND p_expected = v_current)) THEN
    RETURN QUERY SELECT 'wrong_version'::text, v_current, NULL::text, NULL::bigint[], NULL::timestamptz, NULL::text[];
    RETURN;
  END IF;

  v_tx := pg_current_xact_id();
  IF v_last_tx IS NOT NULL AND v_tx < v_last_tx THEN
    RAISE EXCEPTION 'append to % in a transaction older than its last writer; retry the transaction', p_stream
      USING ERRCODE = '40001';
  END IF;

  IF v_last_tx IS NULL THEN
    INSERT INTO ${s}.es_streams (tenant_id, stream_id, version, last_tx_id, created_at, updated_at)
    VALUES (p_tenant, p_stream, v_count, v_tx, v_now, v_now);
  ELSE
    UPDATE ${s}.es_streams SET version = v_current + v_count, last_tx_id = v_tx, updated_at = v_now
     WHERE tenant_id = p_tenant AND stream_id = p_stream;
  END IF;

  WITH inserted AS (
    INSERT INTO ${s}.es_events
      (tx_id, tenant_id, stream_id, stream_version, event_id, event_type, schema_version, data, metadata, created_at)
    SELECT v_tx, p_tenant, p_stream, v_current + e.ord, e.x->>'id', e.x->>'type', (e.x->>'v')::integer,
           e.x->'data', e.x->'metadata', v_now
      FROM jsonb_array_elements(v_batch) WITH ORDINALITY AS e(x, ord)
     ORDER BY e.ord
    RETURNING global_position, stream_version
  )
  SELECT array_agg(i.global_position ORDER BY i.stream_version) INTO v_positions FROM inserted i;

  RETURN QUERY SELECT 'ok'::text, v_current + v_count, v_tx::text, v_positions, v_now, NULL::text[];
END
$fn$;
`;
}
