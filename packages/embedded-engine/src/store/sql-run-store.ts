import { EngineConfigurationError } from '../engine.errors';
import type { RunRecord } from '../engine.types';
import type { StoreLease } from './lease/store-lease';
import {
  type LeaseOptions,
  type RegisteredApp,
  type RunFilter,
  type RunStore,
  runMatches,
  type StoreBatch,
} from './run-store';

/** @internal The one query method both `pg` and PGlite offer. */
export interface SqlClient {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

/**
 * @internal Run state in PostgreSQL tables, shared by the `pg` and PGlite stores: one JSON document
 * per run, the event ids accepted, and the registered app. A batch is one statement (data-modifying
 * CTEs), so it is atomic without a transaction block and costs one round trip.
 */
export class SqlRunStore implements RunStore {
  private readonly schema: string;

  /** @internal Use the `create()` of `PostgresRunStore` or `PgliteRunStore`. */
  constructor(
    private readonly client: SqlClient,
    schema: string,
    private readonly lease: StoreLease,
    private readonly lifecycle: { open?: () => Promise<void>; close: () => Promise<void> },
  ) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
      throw new EngineConfigurationError(
        'schema',
        `Schema name "${schema}" is not a plain lowercase identifier: use letters, digits and underscores, e.g. "inngest_engine".`,
      );
    }
    this.schema = schema;
  }

  async init(): Promise<void> {
    await this.lifecycle.open?.();
    const s = this.schema;
    // One statement, so that two engines starting at once serialise on the advisory lock. The state
    // is text, not jsonb: the engine never queries inside it, and jsonb refuses "\u0000", which an
    // app's step output may hold.
    await this.client.query(`
      DO $$ BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('sagaline-engine:${s}'));
        CREATE SCHEMA IF NOT EXISTS ${s};
        CREATE TABLE IF NOT EXISTS ${s}.runs (
          id text PRIMARY KEY,
          function_id text NOT NULL,
          status text NOT NULL,
          event_id text NOT NULL,
          state text NOT NULL,
          updated_at timestamptz NOT NULL DEFAULT now()
        );
        IF (SELECT data_type FROM information_schema.columns
            WHERE table_schema = '${s}' AND table_name = 'runs' AND column_name = 'state') <> 'text' THEN
          ALTER TABLE ${s}.runs ALTER COLUMN state TYPE text USING state::text;
        END IF;
        CREATE INDEX IF NOT EXISTS runs_function_status ON ${s}.runs (function_id, status);
        CREATE INDEX IF NOT EXISTS runs_event ON ${s}.runs (event_id);
        ALTER TABLE ${s}.runs ADD COLUMN IF NOT EXISTS event_internal_id text;
        ALTER TABLE ${s}.runs ADD COLUMN IF NOT EXISTS created_at bigint;
        CREATE INDEX IF NOT EXISTS runs_function_created ON ${s}.runs (function_id, created_at);
        CREATE INDEX IF NOT EXISTS runs_event_internal ON ${s}.runs (event_internal_id);
        CREATE INDEX IF NOT EXISTS runs_running ON ${s}.runs (id) WHERE status = 'running';
        CREATE TABLE IF NOT EXISTS ${s}.events (id text PRIMARY KEY, name text NOT NULL, received_at timestamptz NOT NULL DEFAULT now());
        ALTER TABLE ${s}.events ADD COLUMN IF NOT EXISTS accepted_at bigint;
        CREATE TABLE IF NOT EXISTS ${s}.apps (app_id text PRIMARY KEY, registration jsonb NOT NULL);
      END $$;`);
  }

  acquireLease(options: LeaseOptions): Promise<void> {
    return this.lease.acquire(options);
  }

  async commit(batch: StoreBatch): Promise<void> {
    if (batch.events.length === 0 && batch.runs.length === 0) return;
    const s = this.schema;
    // One row per id: a statement may not update the same row twice.
    const events = [...new Map(batch.events.map((event) => [event.id, event])).values()];
    await this.client.query(
      `WITH accepted AS (
         INSERT INTO ${s}.events (id, name, accepted_at) SELECT id, name, $8 FROM unnest($1::text[], $2::text[]) AS e(id, name)
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, accepted_at = EXCLUDED.accepted_at, received_at = now()
       ), saved AS (
         INSERT INTO ${s}.runs (id, function_id, status, event_id, state, event_internal_id, created_at)
         SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $9::text[], $10::bigint[])
         ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, event_id = EXCLUDED.event_id, state = EXCLUDED.state, updated_at = now()
       )
       SELECT 1`,
      [
        events.map((event) => event.id),
        events.map((event) => event.name),
        batch.runs.map((run) => run.id),
        batch.runs.map((run) => run.functionId),
        batch.runs.map((run) => run.status),
        batch.runs.map((run) => run.event.id),
        batch.runs.map((run) => JSON.stringify(run)),
        batch.acceptedAt ?? Date.now(),
        batch.runs.map((run) => run.eventInternalId ?? null),
        batch.runs.map((run) => run.createdAt),
      ],
    );
  }

  async knownEvents(ids: string[], since?: number): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    // Rows from before accepted_at existed count as known.
    const { rows } = await this.client.query<{ id: string }>(
      `SELECT id FROM ${this.schema}.events
       WHERE id = ANY($1::text[]) AND ($2::bigint IS NULL OR accepted_at IS NULL OR accepted_at >= $2)`,
      [ids, since ?? null],
    );
    return new Set(rows.map((row) => row.id));
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const { rows } = await this.client.query<{ state: string }>(
      `SELECT state FROM ${this.schema}.runs WHERE id = $1`,
      [runId],
    );
    return rows[0] ? parseState(rows[0].state) : undefined;
  }

  async listRuns(filter: RunFilter): Promise<RunRecord[]> {
    const app = await this.loadApp();
    const statuses = filter.status ? (Array.isArray(filter.status) ? filter.status : [filter.status]) : null;
    // Narrowed in SQL (function id in both its forms, event id); runMatches below stays the rule.
    const functionIds = filter.functionId
      ? [filter.functionId, ...(app ? [`${app.appId}-${filter.functionId}`] : [])]
      : null;
    const { rows } = await this.client.query<{ state: string }>(
      `SELECT state FROM ${this.schema}.runs
       WHERE ($1::text[] IS NULL OR status = ANY($1::text[]))
         AND ($2::text[] IS NULL OR function_id = ANY($2::text[]))
         AND ($3::text IS NULL OR event_id = $3 OR event_internal_id = $3)
         AND ($4::bigint IS NULL OR created_at IS NULL OR created_at >= $4)
       ORDER BY id`,
      [statuses, functionIds, filter.eventId || null, filter.createdSince ?? null],
    );
    return rows.map((row) => parseState(row.state)).filter((run) => runMatches(run, filter, app?.appId));
  }

  async saveApp(app: RegisteredApp): Promise<void> {
    await this.client.query(
      `INSERT INTO ${this.schema}.apps (app_id, registration) VALUES ($1, $2)
       ON CONFLICT (app_id) DO UPDATE SET registration = EXCLUDED.registration`,
      [app.appId, JSON.stringify(app)],
    );
  }

  async loadApp(): Promise<RegisteredApp | undefined> {
    const { rows } = await this.client.query<{ registration: RegisteredApp | string }>(
      `SELECT registration FROM ${this.schema}.apps LIMIT 1`,
    );
    const registration = rows[0]?.registration;
    return typeof registration === 'string' ? JSON.parse(registration) : registration;
  }

  async close(): Promise<void> {
    await this.lease.release();
    await this.lifecycle.close();
  }
}

function parseState(state: RunRecord | string): RunRecord {
  return typeof state === 'string' ? JSON.parse(state) : state;
}
