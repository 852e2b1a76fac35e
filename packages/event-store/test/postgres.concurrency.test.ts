import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ALL_TENANTS,
  createPostgresEventStore,
  type EventStore,
  type RecordedEvent,
  WrongExpectedVersionError,
} from '../src';
import { POSTGRES_URL, postgresFixture } from './support/adapters';

const fixture = postgresFixture();
afterAll(() => fixture.dispose());

const WRITERS = 16;

/** A transaction that appends an event to a stream and holds the stream's lock until released. */
function holdStream(store: EventStore, streamId: string, type: string) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let appended!: () => void;
  const hasAppended = new Promise<void>((resolve) => {
    appended = resolve;
  });
  const committed = store.transaction(async (tx) => {
    await tx.appendToStream(streamId, [{ type, data: {} }]);
    appended();
    await released;
  });
  return { appended: hasAppended, release, committed };
}

describe('PostgreSQL under concurrent writers', () => {
  it('lets exactly one of 16 writers win each version of one stream, losing no update', async () => {
    const store = await fixture.create();
    const rounds = 10;
    const winners: number[][] = [];
    for (let version = 0; version < rounds; version++) {
      const results = await Promise.allSettled(
        Array.from({ length: WRITERS }, (_, writer) =>
          store.appendToStream('counter', [{ type: 'incremented', data: { writer } }], {
            expectedVersion: version,
          }),
        ),
      );
      const won = results.flatMap((r, writer) => (r.status === 'fulfilled' ? [writer] : []));
      for (const r of results) {
        if (r.status === 'rejected') {
          expect(r.reason).toBeInstanceOf(WrongExpectedVersionError);
          expect(r.reason).toMatchObject({ expected: version, actual: version + 1 });
        }
      }
      winners.push(won);
    }
    expect(winners.map((w) => w.length)).toEqual(Array(rounds).fill(1));
    const { events, version } = await store.readStream('counter');
    expect(version).toBe(rounds);
    expect(events.map((e) => (e.data as { writer: number }).writer)).toEqual(winners.map((w) => w[0]));
  });

  it('refuses an append whose expected version the stream has passed without waiting for the append holding the stream', async () => {
    const store = await fixture.create();
    await store.appendToStream('order-1', [{ type: 'placed', data: {} }]);
    const holder = holdStream(store, 'order-1', 'paid');
    await holder.appended;
    // Settles while the holder still has the stream: it did not queue behind it.
    const stale = await store
      .appendToStream('order-1', [{ type: 'shipped', data: {} }], { expectedVersion: 0 })
      .catch((error) => error);
    const exists = await store
      .appendToStream('order-1', [{ type: 'placed', data: {} }], { expectedVersion: 'no_stream' })
      .catch((error) => error);
    holder.release();
    await holder.committed;
    expect(stale).toBeInstanceOf(WrongExpectedVersionError);
    expect(stale).toMatchObject({
      code: 'WRONG_EXPECTED_VERSION',
      streamId: 'order-1',
      expected: 0,
      actual: 1,
    });
    expect(exists).toMatchObject({ code: 'WRONG_EXPECTED_VERSION', expected: 'no_stream', actual: 1 });
    expect((await store.readStream('order-1')).events.map((e) => e.type)).toEqual(['placed', 'paid']);
  });

  it('answers a replay, not a conflict, to an append that repeats one in flight with the same ids and expectation', async () => {
    const store = await fixture.create();
    const events = [
      { id: 'placed-1', type: 'placed', data: {} },
      { id: 'paid-1', type: 'paid', data: {} },
    ];
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        store.appendToStream('order-1', events, { expectedVersion: 'no_stream' }),
      ),
    );
    expect(results.map((r) => r.idempotent).sort()).toEqual([false, true, true, true]);
    expect(results.map((r) => r.nextExpectedVersion)).toEqual([2, 2, 2, 2]);
    expect((await store.readStream('order-1')).version).toBe(2);
  });

  it('keeps apart the streams of two tenants whose tenant and stream ids join to the same text', async () => {
    const store = await fixture.create();
    await store.appendToStream(
      'c',
      [1, 2, 3].map((n) => ({ type: 'x', data: { n } })),
      { tenantId: 'a/b' },
    );
    const [first, second] = await Promise.all([
      store.appendToStream('c', [{ type: 'x', data: {} }], { tenantId: 'a/b', expectedVersion: 3 }),
      store.appendToStream('b/c', [{ type: 'x', data: {} }], { tenantId: 'a', expectedVersion: 0 }),
    ]);
    expect([first.nextExpectedVersion, second.nextExpectedVersion]).toEqual([4, 1]);
  });

  it('loses no update when 16 writers retry on conflicts until each has appended 10 times', async () => {
    const store = await fixture.create();
    const perWriter = 10;
    let conflicts = 0;
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, writer) => {
        for (let n = 0; n < perWriter; n++) {
          for (;;) {
            const { version } = await store.readStream('account', { direction: 'backward', maxCount: 1 });
            try {
              await store.appendToStream('account', [{ type: 'deposited', data: { writer, n } }], {
                expectedVersion: version,
              });
              break;
            } catch (error) {
              if (!(error instanceof WrongExpectedVersionError)) throw error;
              conflicts++;
            }
          }
        }
      }),
    );
    const { events } = await store.readStream('account');
    expect(events).toHaveLength(WRITERS * perWriter);
    expect(events.map((e) => e.streamVersion)).toEqual(events.map((_, i) => i + 1));
    for (let writer = 0; writer < WRITERS; writer++) {
      const mine = events
        .filter((e) => (e.data as { writer: number }).writer === writer)
        .map((e) => (e.data as { n: number }).n);
      expect(mine).toEqual(Array.from({ length: perWriter }, (_, n) => n));
    }
    expect(conflicts).toBeGreaterThan(0);
  });

  it('shows a subscriber running alongside 16 writers on different streams every event exactly once, in global order', async () => {
    const store = await fixture.create();
    const perWriter = 40;
    const seen: RecordedEvent[] = [];
    const subscription = store.subscribe({
      name: 'alongside',
      tenantId: ALL_TENANTS,
      batchSize: 7,
      pollIntervalMs: 5,
      handler: (event) => void seen.push(event),
    });
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, writer) => {
        for (let n = 0; n < perWriter; n++) {
          // Multi-event appends in explicit transactions widen the window in which positions commit out of order.
          await store.transaction(async (tx) => {
            await tx.appendToStream(`stream-${writer}`, [
              { type: 'a', data: { writer, n } },
              { type: 'b', data: { writer, n } },
            ]);
          });
        }
      }),
    );
    await subscription.waitUntilCaughtUp();
    await subscription.stop();
    const total = WRITERS * perWriter * 2;
    expect(seen).toHaveLength(total);
    expect(new Set(seen.map((e) => e.id)).size).toBe(total);
    const checkpoints = seen.map((e) => e.checkpoint);
    expect([...checkpoints].sort()).toEqual(checkpoints);
    for (let writer = 0; writer < WRITERS; writer++) {
      const versions = seen.filter((e) => e.streamId === `stream-${writer}`).map((e) => e.streamVersion);
      expect(versions).toEqual(Array.from({ length: perWriter * 2 }, (_, i) => i + 1));
    }
  });

  it('never skips an event that a slower transaction commits after a later position was committed', async () => {
    const store = await fixture.create();
    const seen: string[] = [];
    const subscription = store.subscribe({
      name: 'gap',
      pollIntervalMs: 5,
      handler: (event) => void seen.push(event.streamId),
    });

    const slow = holdStream(store, 'slow', 'x');
    await slow.appended;
    const fast = await store.appendToStream('fast', [{ type: 'x', data: {} }]);
    await subscription.waitUntilCaughtUp();
    // The fast event has the higher position and is committed, but the slow one may still commit
    // before it in the global order, so the subscriber must not pass it yet.
    expect(seen).toEqual([]);
    slow.release();
    await slow.committed;
    await subscription.waitUntilCaughtUp();
    await subscription.stop();
    expect(seen).toEqual(['slow', 'fast']);
    const all = await store.readAll();
    expect(all.events.map((e) => e.streamId)).toEqual(['slow', 'fast']);
    expect(all.events[0]!.globalPosition).toBeLessThan(fast.events[0]!.globalPosition);
  });

  it('loses no update of an inline projection document that 16 writers on different streams share', async () => {
    const perWriter = 5;
    const store = await fixture.create({
      projections: [
        {
          name: 'deposits',
          mode: 'inline',
          async evolve(_event, documents) {
            const total = ((await documents.get('total')) as { count: number } | null) ?? { count: 0 };
            await documents.put('total', { count: total.count + 1 });
          },
        },
      ],
    });
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, writer) => {
        for (let n = 0; n < perWriter; n++) {
          await store.appendToStream(`account-${writer}`, [{ type: 'deposited', data: { n } }]);
        }
      }),
    );
    expect(await store.projection('deposits').get('total')).toEqual({ count: WRITERS * perWriter });
  });

  it('appends in one round trip', async () => {
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
    const schema = `es_test_${randomBytes(5).toString('hex')}`;
    const store = await createPostgresEventStore({ pool, schema });
    const query = pool.query.bind(pool);
    let queries = 0;
    pool.query = ((...args: Parameters<typeof query>) => {
      queries++;
      return query(...args);
    }) as typeof pool.query;
    await store.appendToStream(
      's',
      Array.from({ length: 10 }, (_, n) => ({ type: 'n', data: { n } })),
      { expectedVersion: 'no_stream' },
    );
    await store.appendToStream('s', [{ type: 'n', data: {} }], { expectedVersion: 10 });
    expect(queries).toBe(2);
    pool.query = query;
    await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
    await store.close();
    await pool.end();
  });
});

describe('PostgreSQL migrations', () => {
  it('are idempotent and safe when several processes start at once', async () => {
    const schema = `es_test_${randomBytes(5).toString('hex')}`;
    fixture.schemas.push(schema);
    const stores: EventStore[] = await Promise.all(
      Array.from({ length: 4 }, () => createPostgresEventStore({ connectionString: POSTGRES_URL, schema })),
    );
    await stores[0]!.appendToStream('s', [{ type: 'x', data: {} }]);
    const again = await createPostgresEventStore({ connectionString: POSTGRES_URL, schema });
    expect((await again.readStream('s')).version).toBe(1);
    const { rows } = await fixture.pool.query(`SELECT count(*)::int AS n FROM "${schema}".es_migrations`);
    expect(rows[0].n).toBe(1);
    await Promise.all([...stores, again].map((s) => s.close()));
  });

  it('upgrades a schema of the previous version in place, keeping its events', async () => {
    const schema = `es_test_${randomBytes(5).toString('hex')}`;
    fixture.schemas.push(schema);
    const old = await createPostgresEventStore({ connectionString: POSTGRES_URL, schema });
    await old.appendToStream('s', [{ type: 'x', data: {} }]);
    await old.close();
    // What version 1 lacked: the functions added since.
    await fixture.pool.query(
      `DROP FUNCTION "${schema}".es_claim_batch, "${schema}".es_read_all;
       UPDATE "${schema}".es_migrations SET version = 1`,
    );
    const upgraded = await createPostgresEventStore({ connectionString: POSTGRES_URL, schema });
    await upgraded.appendToStream('s', [{ type: 'y', data: {} }], { expectedVersion: 1 });
    expect((await upgraded.readAll()).events.map((e) => e.type)).toEqual(['x', 'y']);
    const { rows } = await fixture.pool.query(`SELECT max(version) AS v FROM "${schema}".es_migrations`);
    expect(rows[0].v).toBe(2);
    await upgraded.close();
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(
      createPostgresEventStore({ connectionString: POSTGRES_URL, schema: 'x"; DROP TABLE y; --' }),
    ).rejects.toMatchObject({
      code: 'EVENT_STORE_CONFIG',
      option: 'schema',
    });
  });
});
