import type { Pool, PoolConfig } from 'pg';
import { EventStore, type EventStoreOptions } from '../event-store';
import { EventStoreConfigError, EventStoreConnectionError } from '../event-store.errors';
import { migrate } from './migrate';
import { checkSchemaName } from './schema-name';
import { SqlBackend } from './sql-backend';
import type { SqlConnection, SqlExecutor } from './sql-connection';

/** Options of `createPostgresEventStore`. */
export interface PostgresEventStoreOptions extends EventStoreOptions {
  /** A `pg` pool the app already has (the store does not close it), or... */
  pool?: Pool;
  /** ...a connection string, or `pg` pool settings: the store opens its own pool and closes it on `close()`. */
  connectionString?: string;
  /** Pool settings when the store opens the pool. */
  poolConfig?: PoolConfig;
  /** The database schema of the store's tables. Default `event_store`. */
  schema?: string;
  /** Create or upgrade the tables at start-up. Default true. */
  migrate?: boolean;
}

/**
 * An event store on PostgreSQL (13 or newer) through `pg`. Migrates its schema at start-up
 * (idempotent, safe with several processes starting at once); one round trip per append.
 *
 * @example
 * ```ts
 * const store = await createPostgresEventStore({ connectionString: process.env.DATABASE_URL });
 * ```
 */
export async function createPostgresEventStore(options: PostgresEventStoreOptions): Promise<EventStore> {
  const {
    pool: given,
    connectionString,
    poolConfig,
    schema = 'event_store',
    migrate: shouldMigrate = true,
    ...storeOptions
  } = options;
  checkSchemaName(schema);
  if (!given && !connectionString && !poolConfig)
    throw new EventStoreConfigError(
      'connectionString',
      'createPostgresEventStore needs `pool`, `connectionString` or `poolConfig`, e.g. { connectionString: process.env.DATABASE_URL }.',
    );
  let pool = given;
  if (!pool) {
    const pg = await import('pg');
    const PoolClass = (pg.default?.Pool ?? pg.Pool) as typeof import('pg').Pool;
    pool = new PoolClass({ ...poolConfig, ...(connectionString ? { connectionString } : {}) });
  }
  const connection = poolConnection(pool, !given);
  try {
    await reach(
      connection,
      addressOf(pool, connectionString),
      given ? 'pool' : connectionString ? 'connectionString' : 'poolConfig',
    );
    if (shouldMigrate) await migrate(connection, schema);
    return new EventStore(new SqlBackend('postgres', connection, schema), storeOptions);
  } catch (error) {
    await connection.close();
    throw error;
  }
}

/** Connection failures as `pg` reports them: refused, unknown host, timeout, login, missing database. */
const CONNECTION_FAILURES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  '28P01',
  '28000',
  '3D000',
]);

/** One round trip before anything else, so a database that cannot be reached is named as such. */
async function reach(connection: SqlConnection, address: string, option: string): Promise<void> {
  try {
    await connection.query('SELECT 1');
  } catch (error) {
    const code = (error as { code?: string }).code;
    const refused = (error as { errors?: { code?: string }[] }).errors?.some(
      (e) => e.code && CONNECTION_FAILURES.has(e.code),
    );
    if (!(code && CONNECTION_FAILURES.has(code)) && !refused) throw error;
    throw new EventStoreConnectionError('postgres', address, option, error);
  }
}

/** `host:port` of the database, from the connection string or the pool's settings. */
function addressOf(pool: Pool, connectionString: string | undefined): string {
  const settings = (pool as unknown as { options: { host?: string; port?: number } }).options ?? {};
  let host = settings.host;
  let port = settings.port ? String(settings.port) : undefined;
  if (connectionString) {
    try {
      const url = new URL(connectionString);
      host = url.hostname || host;
      port = url.port || port;
    } catch {
      // a keyword/value string: keep the pool's settings
    }
  }
  return `${host ?? 'localhost'}:${port ?? 5432}`;
}

function poolConnection(pool: Pool, owned: boolean): SqlConnection {
  return {
    query: (text, params) => pool.query(text, params as unknown[]),
    async transaction<T>(work: (executor: SqlExecutor) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work({ query: (text, params) => client.query(text, params as unknown[]) });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: async () => {
      if (owned) await pool.end();
    },
  };
}
