import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { DatabaseConnectionError } from './database.errors';

/** What the repositories need of a database: parameterised queries and transactions. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

/** The shop's database: PostgreSQL through a `pg` pool, or PGlite in-process. Same SQL for both. */
export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** The schema the shop's tables live in. */
  readonly schema: string;
  /** The PGlite instance, when `kind` is `pglite`: the event store shares it. */
  readonly pglite?: PGlite;
  /** Runs `work` in one transaction: all of it is stored, or none of it. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** How `pg` reports a database it cannot reach: refused, unknown host, timeout, login, missing database. */
const CONNECTION_FAILURES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  '28P01',
  '28000',
  '3D000',
]);

/**
 * Connects to PostgreSQL (every connection's `search_path` is the shop's schema) and makes one
 * round trip, so a database that cannot be reached fails the start-up by name, not later as a
 * bare `ECONNREFUSED` in the first query. `setting` names where the URL came from.
 * @throws DatabaseConnectionError
 */
export async function connectPostgres(
  connectionString: string,
  schema: string,
  setting = 'DATABASE_URL',
): Promise<Database> {
  const pool = new pg.Pool({ connectionString, max: 10, options: `-c search_path=${schema}` });
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    const codes = [error, ...((error as { errors?: unknown[] }).errors ?? [])].map(
      (e) => (e as { code?: string }).code,
    );
    if (!codes.some((code) => code && CONNECTION_FAILURES.has(code))) throw error;
    throw new DatabaseConnectionError(addressOf(connectionString), setting, error);
  }
  return {
    kind: 'postgres',
    schema,
    async query<T>(sql: string, params?: unknown[]) {
      return (await pool.query(sql, params)).rows as T[];
    },
    async transaction<T>(work: (tx: Queryable) => Promise<T>) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work({ query: async (sql, params) => (await client.query(sql, params)).rows });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** `host:port` of a `postgres://` URL (PostgreSQL's defaults where it names none). */
function addressOf(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    return `${url.hostname || 'localhost'}:${url.port || 5432}`;
  } catch {
    return 'the address in the connection string';
  }
}

/** Starts PGlite (PostgreSQL compiled to WASM) in memory, or in `dataDir` to keep data across runs. */
export async function startPglite(schema: string, dataDir?: string): Promise<Database> {
  const db = await PGlite.create(dataDir);
  await db.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}; SET search_path TO ${schema};`);
  return {
    kind: 'pglite',
    schema,
    pglite: db,
    async query<T>(sql: string, params?: unknown[]) {
      return (await db.query<T>(sql, params)).rows;
    },
    transaction: (work) =>
      db.transaction((tx) => work({ query: async (sql, params) => (await tx.query<any>(sql, params)).rows })),
    close: () => db.close(),
  };
}
