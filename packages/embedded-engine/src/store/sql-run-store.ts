import { EngineConfigurationError } from '../engine.errors';
import type { EngineEvent, RunRecord } from '../engine.types';
import { type RegisteredApp, type RunFilter, type RunStore, runMatches } from './run-store';

/** @internal The one query method both `pg` and PGlite offer. */
export interface SqlClient {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

/**
 * @internal Run state in PostgreSQL tables, shared by the `pg` and PGlite stores: one JSON document
 * per run (written after every transition), the event ids seen, and the registered app.
 */
export class SqlRunStore implements RunStore {
  private readonly schema: string;

  /** @internal Use the `create()` of `PostgresRunStore` or `PgliteRunStore`. */
  constructor(
    private readonly client: SqlClient,
    schema: string,
    private readonly onClose: () => Promise<void>,
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
    const s = this.schema;
    // One statement, so that two engines starting at once serialise on the advisory lock.
    await this.client.query(`
      DO $$ BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('sagaline-engine:${s}'));
        CREATE SCHEMA IF NOT EXISTS ${s};
        CREATE TABLE IF NOT EXISTS ${s}.runs (
          id text PRIMARY KEY,
          function_id text NOT NULL,
          status text NOT NULL,
          event_id text NOT NULL,
          state jsonb NOT NULL,
          updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX IF NOT EXISTS runs_function_status ON ${s}.runs (function_id, status);
        CREATE INDEX IF NOT EXISTS runs_event ON ${s}.runs (event_id);
        CREATE TABLE IF NOT EXISTS ${s}.events (id text PRIMARY KEY, name text NOT NULL, received_at timestamptz NOT NULL DEFAULT now());
        CREATE TABLE IF NOT EXISTS ${s}.apps (app_id text PRIMARY KEY, registration jsonb NOT NULL);
      END $$;`);
  }

  async saveRun(run: RunRecord): Promise<void> {
    await this.client.query(
      `INSERT INTO ${this.schema}.runs (id, function_id, status, event_id, state) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, state = EXCLUDED.state, updated_at = now()`,
      [run.id, run.functionId, run.status, run.event.id, JSON.stringify(run)],
    );
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const { rows } = await this.client.query<{ state: RunRecord | string }>(
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
    const { rows } = await this.client.query<{ state: RunRecord | string }>(
      `SELECT state FROM ${this.schema}.runs
       WHERE ($1::text[] IS NULL OR status = ANY($1::text[]))
         AND ($2::text[] IS NULL OR function_id = ANY($2::text[]))
         AND ($3::text IS NULL OR event_id = $3)
       ORDER BY id`,
      [statuses, functionIds, filter.eventId || null],
    );
    return rows.map((row) => parseState(row.state)).filter((run) => runMatches(run, filter, app?.appId));
  }

  async recordEvent(event: EngineEvent): Promise<boolean> {
    const { rows } = await this.client.query(
      `INSERT INTO ${this.schema}.events (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING id`,
      [event.id, event.name],
    );
    return rows.length === 1;
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
    await this.onClose();
  }
}

function parseState(state: RunRecord | string): RunRecord {
  return typeof state === 'string' ? JSON.parse(state) : state;
}
