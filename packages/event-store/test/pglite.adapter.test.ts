import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPGliteEventStore } from '../src';
import { adapterSuite } from './support/adapter-suite';
import { pgliteFixture } from './support/adapters';
import { sqlTransactionSuite } from './support/sql-transaction-suite';

const fixture = pgliteFixture();
adapterSuite(fixture); // disposes the fixture, the stores of both suites with it
sqlTransactionSuite(fixture);

describe('the PGlite adapter on disk', () => {
  it('creates a data directory whose parents do not exist yet, and reads back what it stored', async () => {
    const root = await mkdtemp(join(tmpdir(), 'event-store-pglite-'));
    const dataDir = join(root, '.data', 'events');
    try {
      const first = await createPGliteEventStore({ dataDir });
      await first.appendToStream('order-1', [{ type: 'OrderPlaced', data: { total: 10 } }]);
      await first.close();
      const reopened = await createPGliteEventStore({ dataDir });
      const { events } = await reopened.readStream('order-1');
      await reopened.close();
      expect(events.map((event) => event.type)).toEqual(['OrderPlaced']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
