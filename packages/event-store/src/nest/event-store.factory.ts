import { EventStore } from '../event-store';
import { EventStoreConfigError } from '../event-store.errors';
import { createMemoryEventStore } from '../memory/memory-adapter';
import { createPGliteEventStore } from '../sql/pglite-adapter';
import { createPostgresEventStore } from '../sql/postgres-adapter';
import type { EventStoreModuleOptions } from './event-store.module-definition';

/** @internal The store the module provides, and whether the module must close it. */
export interface EventStoreHandle {
  store: EventStore;
  owned: boolean;
}

/** @internal */
export async function createStoreFromOptions(options: EventStoreModuleOptions): Promise<EventStoreHandle> {
  const { adapter, ...storeOptions } = options;
  if (adapter instanceof EventStore) {
    if (storeOptions.upcasters || storeOptions.projections)
      throw new EventStoreConfigError(
        'adapter',
        'EventStoreModule got a ready store and also `upcasters`/`projections`; pass those to the function that created the store.',
      );
    return { store: adapter, owned: false };
  }
  switch (adapter?.kind) {
    case 'memory':
      return { store: createMemoryEventStore(storeOptions), owned: true };
    case 'postgres': {
      const { kind: _kind, ...settings } = adapter;
      return { store: await createPostgresEventStore({ ...settings, ...storeOptions }), owned: true };
    }
    case 'pglite': {
      const { kind: _kind, ...settings } = adapter;
      return { store: await createPGliteEventStore({ ...settings, ...storeOptions }), owned: true };
    }
    default:
      throw new EventStoreConfigError(
        'adapter',
        `EventStoreModule: \`adapter\` must be { kind: 'memory' }, { kind: 'pglite', dataDir? }, { kind: 'postgres', connectionString } or an EventStore (got ${JSON.stringify(adapter)}).`,
      );
  }
}
