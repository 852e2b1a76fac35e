import type { Client, Pool } from 'pg';
import { leaseConnection, PostgresAdvisoryLease } from './lease/postgres-lease';
import { SqlRunStore } from './sql-run-store';

/** Options of `PostgresRunStore`. */
export interface PostgresRunStoreOptions {
  /** A `pg` Pool the app owns (the store does not close it), or a connection string. */
  pool?: Pool;
  /** A connection string, used when no pool is given; the store then owns and closes its pool. */
  connectionString?: string;
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
    const pool = options.pool ?? new driver.Pool({ connectionString: options.connectionString, max: 4 });
    const schema = options.schema ?? 'inngest_engine';
    const lease = new PostgresAdvisoryLease(
      leaseConnection(driver.Client, { ...(pool as unknown as { options: object }).options }),
      `sagaline-engine-lease:${schema}`,
      `the PostgreSQL schema "${schema}"`,
    );
    return new PostgresRunStore(pool, schema, lease, {
      close: async () => {
        if (owned) await pool.end();
      },
    });
  }
}
