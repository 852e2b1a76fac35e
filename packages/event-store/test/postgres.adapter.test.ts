import { describe, expect, it } from 'vitest';
import { createPostgresEventStore, EventStoreConnectionError } from '../src';
import { adapterSuite } from './support/adapter-suite';
import { postgresFixture } from './support/adapters';
import { sqlTransactionSuite } from './support/sql-transaction-suite';

const fixture = postgresFixture();
adapterSuite(fixture); // disposes the fixture, the stores of both suites with it
sqlTransactionSuite(fixture);

describe('createPostgresEventStore on a database it cannot reach', () => {
  it('names the adapter, the address and the option to check, with the driver error as cause', async () => {
    const refused = createPostgresEventStore({
      connectionString: 'postgres://postgres@127.0.0.1:59999/test',
    });
    await expect(refused).rejects.toBeInstanceOf(EventStoreConnectionError);
    await expect(refused).rejects.toMatchObject({
      code: 'EVENT_STORE_CONNECTION',
      adapter: 'postgres',
      address: '127.0.0.1:59999',
      option: 'connectionString',
      cause: expect.objectContaining({ code: 'ECONNREFUSED' }),
    });
    await expect(refused).rejects.toThrow(
      /could not connect to 127\.0\.0\.1:59999 .*Check `connectionString`/,
    );
  });

  it('names a database that does not exist', async () => {
    const missing = createPostgresEventStore({
      connectionString: 'postgres://postgres@127.0.0.1:5432/no_such_database_here',
    });
    await expect(missing).rejects.toMatchObject({
      code: 'EVENT_STORE_CONNECTION',
      address: '127.0.0.1:5432',
    });
  });
});
