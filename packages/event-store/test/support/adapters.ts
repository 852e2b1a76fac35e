import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import {
  createMemoryEventStore,
  createPGliteEventStore,
  createPostgresEventStore,
  type EventStore,
  type EventStoreOptions,
} from '../../src';

export const POSTGRES_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** How to make a fresh, empty store of one adapter, and throw it away. */
export interface AdapterFixture {
  name: 'memory' | 'pglite' | 'postgres';
  create(options?: EventStoreOptions): Promise<EventStore>;
  dispose(): Promise<void>;
}

/** Each store in its own schema (PostgreSQL), dropped at the end. */
export function postgresFixture(): AdapterFixture & { schemas: string[]; pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 20 });
  const schemas: string[] = [];
  const stores: EventStore[] = [];
  return {
    name: 'postgres',
    pool,
    schemas,
    async create(options = {}) {
      const schema = `es_test_${randomBytes(5).toString('hex')}`;
      schemas.push(schema);
      const store = await createPostgresEventStore({ pool, schema, ...options });
      stores.push(store);
      return store;
    },
    async dispose() {
      await Promise.all(stores.map((s) => s.close()));
      for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    },
  };
}

/** One PGlite database (it takes a moment to boot), each store in its own schema. */
export function pgliteFixture(): AdapterFixture {
  const stores: EventStore[] = [];
  let db: Promise<PGlite> | undefined;
  return {
    name: 'pglite',
    async create(options = {}) {
      db ??= PGlite.create();
      const store = await createPGliteEventStore({
        db: await db,
        schema: `es_test_${randomBytes(5).toString('hex')}`,
        ...options,
      });
      stores.push(store);
      return store;
    },
    async dispose() {
      await Promise.all(stores.map((s) => s.close()));
      await (await db)?.close();
    },
  };
}

export function memoryFixture(): AdapterFixture {
  return {
    name: 'memory',
    async create(options = {}) {
      return createMemoryEventStore(options);
    },
    async dispose() {},
  };
}
