import type { Client, Pool } from 'pg';
import { EngineConfigurationError } from '../engine.errors';
import { leaseConnection, PostgresAdvisoryLease } from './lease/postgres-lease';
import { reachingConnect } from './postgres-reach';
import { type SqlClient, SqlRunStore } from './sql-run-store';

/** Options of `PostgresRunStore`. */
export interface PostgresRunStoreOptions {
  /** A `pg` Pool the app owns (the store does not close it), or a connection string. */
  pool?: Pool;
  /** A connection string, used when no pool is given; the store then owns and closes its pool. */
  connectionString?: string;
  /**
   * How many connections the pool the store opens may hold (with `connectionString`). Writes go one
   * at a time (changes made meanwhile share the next one); the other connections serve reads
   * (`getRun`, `listRuns`, `waitForRun`) and the event API's duplicate checks. Default `10`.
   */
  poolSize?: number;
  /** The schema the engine's tables live in. Default `inngest_engine`. */
  schema?: string;
}

/**
 * Run state in PostgreSQL through `pg`: after a crash or a restart, a new engine on the same
 * database resumes every pending run (sleeps, waits, retries, queued steps). One engine at a time
 * holds a schema: its lease is a session advisory lock on a connection of its own, opened with the
 * pool's settings.
 */
export class PostgresRunStore extends SqlRunStore {
  /** Creates the store; `pg` is loaded on demand (an optional peer dependency). */
  static async create(options: PostgresRunStoreOptions): Promise<PostgresRunStore> {
    const pg = await import('pg');
    const driver = (pg.default ?? pg) as unknown as { Pool: typeof Pool; Client: typeof Client };
    const owned = !options.pool;
    const poolSize = options.poolSize ?? 10;
    if (!(Number.isInteger(poolSize) && poolSize >= 1)) {
      throw new EngineConfigurationError(
        'poolSize',
        `poolSize must be a whole number of connections, 1 or more; got ${String(poolSize)}.`,
      );
    }
    const pool =
      options.pool ?? new driver.Pool({ connectionString: options.connectionString, max: poolSize });
    const schema = options.schema ?? 'inngest_engine';
    const settings = { ...(pool as unknown as { options: object }).options };
    const lease = new PostgresAdvisoryLease(
      reachingConnect(
        leaseConnection(driver.Client, settings),
        driver.Client,
        settings,
        owned ? 'connectionString' : 'pool',
      ),
      `sagaline-engine-lease:${schema}`,
      `the PostgreSQL schema "${schema}"`,
    );
    const client: SqlClient = {
      query: pool.query.bind(pool) as SqlClient['query'],
      prepared: (name, text, params) => pool.query({ name, text, values: params }),
    };
    return new PostgresRunStore(client, schema, lease, {
      close: async () => {
        if (owned) await pool.end();
      },
    });
  }
}
