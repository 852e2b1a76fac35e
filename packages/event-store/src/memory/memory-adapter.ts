import { EventStore, type EventStoreOptions } from '../event-store';
import { MemoryBackend } from './memory-backend';

/**
 * An event store in memory, with exactly the semantics of the SQL adapters (the shared suite
 * proves it): for unit tests and prototypes. Everything is lost when the process ends.
 */
export function createMemoryEventStore(options: EventStoreOptions = {}): EventStore {
  return new EventStore(new MemoryBackend(), options);
}
