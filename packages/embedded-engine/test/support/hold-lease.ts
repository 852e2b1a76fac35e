// A process that starts an engine on a store and holds it until killed: `HELD` on stdout once it
// holds the lease. Usage: hold-lease.ts postgres <schema> | pglite <dataDir>
import { EmbeddedEngine, PgliteRunStore, PostgresRunStore } from '../../src';

const [kind, target] = process.argv.slice(2);
const store =
  kind === 'postgres'
    ? await PostgresRunStore.create({
        connectionString: 'postgres://postgres@127.0.0.1:5432/test',
        schema: target,
      })
    : await PgliteRunStore.create({ dataDir: target });
await EmbeddedEngine.start({ store, leaseWaitMs: 0 });
console.log('HELD');
setInterval(() => undefined, 60_000);
