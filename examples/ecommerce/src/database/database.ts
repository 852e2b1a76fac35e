import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

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

/** Connects to PostgreSQL; every connection's `search_path` is the shop's schema. */
export function connectPostgres(connectionString: string, schema: string): Database {
  const pool = new pg.Pool({ connectionString, max: 10, options: `-c search_path=${schema}` });
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
