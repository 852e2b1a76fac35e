import type { PGlite } from '@electric-sql/pglite';
import { SqlRunStore } from './sql-run-store';

/** Options of `PgliteRunStore`. */
export interface PgliteRunStoreOptions {
  /** A PGlite instance the app owns (not closed by the store). */
  db?: PGlite;
  /** A data directory for a PGlite the store opens and owns; in memory when neither is given. */
  dataDir?: string;
  /** The schema the engine's tables live in. Default `inngest_engine`. */
  schema?: string;
}

/** Run state in PGlite (PostgreSQL in WASM, in-process), in memory or in a data directory. */
export class PgliteRunStore extends SqlRunStore {
  /** Creates the store; `@electric-sql/pglite` is loaded on demand (an optional peer dependency). */
  static async create(options: PgliteRunStoreOptions = {}): Promise<PgliteRunStore> {
    let db = options.db;
    let owned = false;
    if (!db) {
      const { PGlite } = await import('@electric-sql/pglite');
      db = new PGlite(options.dataDir);
      owned = true;
    }
    const ownedDb = db;
    return new PgliteRunStore(ownedDb, options.schema ?? 'inngest_engine', async () => {
      if (owned) await ownedDb.close();
    });
  }
}
