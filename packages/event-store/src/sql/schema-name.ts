import { EventStoreConfigError } from '../event-store.errors';

/** @internal The schema name is spliced into SQL, so only plain identifiers pass. */
export function checkSchemaName(schema: string): void {
  if (typeof schema !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new EventStoreConfigError(
      'schema',
      `schema "${schema}" must be a lowercase identifier (letters, digits, _; at most 63), such as "event_store".`,
    );
}
