import { PgliteRunStore, PostgresRunStore, type RunStore } from '@sagaline/embedded-engine';
import type { ShopConfig } from './config/shop-config';

/**
 * Where the embedded engine keeps its runs: next to the shop's data when it is durable
 * (PostgreSQL, or PGlite on disk), so a restarted shop resumes every pending order saga;
 * in memory otherwise.
 */
export async function createRunStore(config: ShopConfig): Promise<RunStore | undefined> {
  const schema = `${config.databaseSchema}_engine`;
  if (config.databaseUrl) return PostgresRunStore.create({ connectionString: config.databaseUrl, schema });
  if (config.pgliteDir) return PgliteRunStore.create({ dataDir: `${config.pgliteDir}/engine`, schema });
  return undefined;
}
