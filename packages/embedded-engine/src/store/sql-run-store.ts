import { EngineConfigurationError } from '../engine.errors';
import type { EngineEvent, RunRecord } from '../engine.types';
import { assembleRun } from '../runs/run-state';
import type { StoreLease } from './lease/store-lease';
import {
  type LeaseOptions,
  type RegisteredApp,
  type RunChange,
  type RunFilter,
  type RunHead,
  type RunStore,
  runMatches,
  type StoreBatch,
  type StoredStep,
} from './run-store';

/** @internal The one query method both `pg` and PGlite offer. */
export interface SqlClient {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
  /**
   * The same query as a named prepared statement, parsed and planned once per connection, where
   * the driver has them (`pg`): the store's write is the same statement every time.
   */
  prepared?(name: string, text: string, params: unknown[]): Promise<unknown>;
}

/** A run row as read: its head (or, in rows written before steps had rows, the whole run). */
interface RunRow {
  /** Text; an object where a driver parses it (a column still of the old jsonb type). */
  state: string | RunRecord;
  events: string | null;
  steps: string | null;
}

/**
 * @internal Run state in PostgreSQL tables, shared by the `pg` and PGlite stores: a row per run
 * (its head, and its events apart since they rarely change), a row per memoized step, the event
 * ids accepted, and the registered app. A transition rewrites the run's head and appends its new
 * steps, so what a write costs does not grow with the run. A batch is one statement
 * (data-modifying CTEs), so it is atomic without a transaction block and costs one round trip.
 *
 * Rows written before steps had rows of their own hold the whole run in `state` (and no
 * `events`): they are read as they are, and rewritten in the new form at their run's next write.
 */
export class SqlRunStore implements RunStore {
  private readonly schema: string;
  private app?: RegisteredApp;

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
        ALTER TABLE ${s}.runs ADD COLUMN IF NOT EXISTS events text;
        CREATE TABLE IF NOT EXISTS ${s}.run_steps (
          run_id text NOT NULL,
          seq integer NOT NULL,
          step text NOT NULL,
          PRIMARY KEY (run_id, seq)
        );
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
    const runs = batch.runs.map(({ head }) => head);
    const steps = batch.runs.flatMap((change) => stepRows(change));
    // Events unchanged are not sent again (null keeps the stored ones); a run's steps already
    // stored (a resumed run's first write sends them all) are skipped.
    await this.write(
      `sagaline-engine-commit:${s}`,
      `WITH accepted AS (
         INSERT INTO ${s}.events (id, name, accepted_at) SELECT id, name, $8 FROM unnest($1::text[], $2::text[]) AS e(id, name)
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, accepted_at = EXCLUDED.accepted_at, received_at = now()
       ), saved AS (
         INSERT INTO ${s}.runs (id, function_id, status, event_id, state, event_internal_id, created_at, events)
         SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $9::text[], $10::bigint[], $11::text[])
         ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, event_id = EXCLUDED.event_id,
           event_internal_id = EXCLUDED.event_internal_id, state = EXCLUDED.state,
           events = COALESCE(EXCLUDED.events, ${s}.runs.events), updated_at = now()
       ), stepped AS (
         INSERT INTO ${s}.run_steps (run_id, seq, step) SELECT * FROM unnest($12::text[], $13::int[], $14::text[])
         ON CONFLICT (run_id, seq) DO NOTHING
       )
       SELECT 1`,
      [
        events.map((event) => event.id),
        events.map((event) => event.name),
        runs.map((run) => run.id),
        runs.map((run) => run.functionId),
        runs.map((run) => run.status),
        runs.map((run) => run.event.id),
        runs.map(({ event: _event, events: _events, ...rest }) => JSON.stringify(rest)),
        batch.acceptedAt ?? Date.now(),
        runs.map((run) => run.eventInternalId ?? null),
        runs.map((run) => run.createdAt),
        batch.runs.map(({ head, eventsChanged }) => (eventsChanged ? packEvents(head) : null)),
        steps.map((step) => step.runId),
        steps.map((step) => step.seq),
        steps.map((step) => step.text),
      ],
    );
  }

  private write(name: string, text: string, params: unknown[]): Promise<unknown> {
    return this.client.prepared ? this.client.prepared(name, text, params) : this.client.query(text, params);
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
    const { rows } = await this.client.query<RunRow>(`${this.selectRuns()} WHERE r.id = $1`, [runId]);
    return rows[0] ? readRun(rows[0]) : undefined;
  }

  async listRuns(filter: RunFilter): Promise<RunRecord[]> {
    const app = this.app ?? (await this.loadApp());
    const statuses = filter.status ? (Array.isArray(filter.status) ? filter.status : [filter.status]) : null;
    // Narrowed in SQL (function id in both its forms, event id); runMatches below stays the rule.
    const functionIds = filter.functionId
      ? [filter.functionId, ...(app ? [`${app.appId}-${filter.functionId}`] : [])]
      : null;
    const { rows } = await this.client.query<RunRow>(
      `${this.selectRuns()}
       WHERE ($1::text[] IS NULL OR r.status = ANY($1::text[]))
         AND ($2::text[] IS NULL OR r.function_id = ANY($2::text[]))
         AND ($3::text IS NULL OR r.event_id = $3 OR r.event_internal_id = $3)
         AND ($4::bigint IS NULL OR r.created_at IS NULL OR r.created_at >= $4)
       ORDER BY r.id`,
      [statuses, functionIds, filter.eventId || null, filter.createdSince ?? null],
    );
    return rows.map(readRun).filter((run) => runMatches(run, filter, app?.appId));
  }

  /** A run's row with its steps, in order, as one JSON list's items. */
  private selectRuns(): string {
    const s = this.schema;
    return `SELECT r.state, r.events,
       (SELECT string_agg(t.step, ',' ORDER BY t.seq) FROM ${s}.run_steps t WHERE t.run_id = r.id) AS steps
     FROM ${s}.runs r`;
  }

  async saveApp(app: RegisteredApp): Promise<void> {
    await this.client.query(
      `INSERT INTO ${this.schema}.apps (app_id, registration) VALUES ($1, $2)
       ON CONFLICT (app_id) DO UPDATE SET registration = EXCLUDED.registration`,
      [app.appId, JSON.stringify(app)],
    );
    this.app = app;
  }

  async loadApp(): Promise<RegisteredApp | undefined> {
    const { rows } = await this.client.query<{ registration: RegisteredApp | string }>(
      `SELECT registration FROM ${this.schema}.apps LIMIT 1`,
    );
    const registration = rows[0]?.registration;
    // The lease makes this engine the only writer, so the app read once stays the app.
    this.app = typeof registration === 'string' ? JSON.parse(registration) : registration;
    return this.app;
  }

  async close(): Promise<void> {
    await this.lease.release();
    await this.lifecycle.close();
  }
}

/** A step as stored: its result, and its timeline entry less an output or error equal to the result's. */
interface PackedStep {
  id: string;
  result: unknown;
  entry: Omit<StoredStep['entry'], 'output' | 'error'> & { output?: unknown; error?: unknown };
  /** Where the entry's output is in `result`: the result itself, or its `data`. */
  output?: 'result' | 'data';
  /** The entry's error is the result's `error`. */
  error?: 'error';
}

/** The rows of a run's new steps, numbered from the steps the store holds. */
function stepRows({ head, stepsBefore, newSteps }: RunChange) {
  return newSteps.map((step, index) => ({
    runId: head.id,
    seq: stepsBefore + index,
    text: JSON.stringify(packStep(step)),
  }));
}

function packStep({ id, result, entry }: StoredStep): PackedStep {
  const { output, error, ...rest } = entry;
  const packed: PackedStep = { id, result, entry: rest };
  const memo = result as { data?: unknown; error?: unknown } | null;
  if (output !== undefined) {
    if (output === result) packed.output = 'result';
    else if (typeof memo === 'object' && memo !== null && output === memo.data) packed.output = 'data';
    else packed.entry.output = output;
  }
  if (error !== undefined) {
    if (typeof memo === 'object' && memo !== null && error === memo.error) packed.error = 'error';
    else packed.entry.error = error;
  }
  return packed;
}

function unpackStep({ id, result, entry, output, error }: PackedStep): StoredStep {
  const memo = result as { data?: unknown; error?: unknown };
  return {
    id,
    result,
    entry: {
      ...entry,
      ...(output === 'result' ? { output: result } : output === 'data' ? { output: memo.data } : {}),
      ...(error ? { error: memo.error } : {}),
    } as StoredStep['entry'],
  };
}

/** A run's events: the list, and the triggering event as its index there when it is in it. */
function packEvents(head: RunHead): string {
  const index = head.events.indexOf(head.event);
  return JSON.stringify({ events: head.events, event: index >= 0 ? index : head.event });
}

function readRun(row: RunRow): RunRecord {
  if (row.events === null) return typeof row.state === 'string' ? JSON.parse(row.state) : row.state;
  const packed = JSON.parse(row.events) as { events: EngineEvent[]; event: number | EngineEvent };
  const event = typeof packed.event === 'number' ? packed.events[packed.event]! : packed.event;
  const head = { ...JSON.parse(row.state as string), event, events: packed.events } as RunHead;
  const steps = row.steps ? (JSON.parse(`[${row.steps}]`) as PackedStep[]).map(unpackStep) : [];
  return assembleRun(head, steps);
}
