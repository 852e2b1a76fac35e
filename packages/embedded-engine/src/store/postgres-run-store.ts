import type { Pool } from 'pg';
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
 * database resumes every pending run (sleeps, waits, retries, queued steps).
 */
export class PostgresRunStore extends SqlRunStore {
  /** Creates the store; `pg` is loaded on demand (an optional peer dependency). */
  static async create(options: PostgresRunStoreOptions): Promise<PostgresRunStore> {
    let pool = options.pool;
    let owned = false;
    if (!pool) {
      const pg = await import('pg');
      const PoolClass = (pg.default?.Pool ?? (pg as unknown as { Pool: typeof Pool }).Pool) as typeof Pool;
      pool = new PoolClass({ connectionString: options.connectionString, max: 4 });
      owned = true;
    }
    const ownedPool = pool;
    return new PostgresRunStore(ownedPool, options.schema ?? 'inngest_engine', async () => {
      if (owned) await ownedPool.end();
    });
  }
}
