// What the event-store benchmarks share: the contenders (ours and Emmett, behind one interface), the
// event they append, and the concurrent-rate helper.
import { randomBytes } from 'node:crypto';
import { dumbo } from '@event-driven-io/dumbo';
import { isExpectedVersionConflictError } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore, readMessagesBatch } from '@event-driven-io/emmett-postgresql';
import pg from 'pg';
import { type EventStore, WrongExpectedVersionError } from '../src';

export type NewEvent = { type: string; data: Record<string, unknown> };

/** What every contender offers the benchmark. */
export interface Contender {
  name: string;
  append(stream: string, events: NewEvent[]): Promise<unknown>;
  /** The stream's version, reading only the events after `known` (what a command handler reloads). */
  versionAfter(stream: string, known: number): Promise<number>;
  /** Appends expecting the stream at `version`; false when another writer got there first. */
  appendExpecting(stream: string, events: NewEvent[], version: number): Promise<boolean>;
  readStream(stream: string): Promise<number>;
  readAll(): Promise<number>;
  close(): Promise<void>;
  /** Ours only: the store, for the subscription rows. */
  store?: EventStore;
}

export function sagaline(name: string, store: EventStore): Contender {
  return {
    name,
    store,
    append: (stream, events) => store.appendToStream(stream, events),
    versionAfter: async (stream, known) => (await store.readStream(stream, { from: known + 1 })).version,
    appendExpecting: async (stream, events, version) => {
      try {
        await store.appendToStream(stream, events, { expectedVersion: version });
        return true;
      } catch (error) {
        if (error instanceof WrongExpectedVersionError) return false;
        throw error;
      }
    },
    readStream: async (stream) => (await store.readStream(stream)).events.length,
    readAll: async () => {
      let count = 0;
      let after: string | undefined;
      for (;;) {
        const page = await store.readAll(after ? { after } : {});
        if (page.events.length === 0) return count;
        count += page.events.length;
        after = page.checkpoint;
      }
    },
    close: () => store.close(),
  };
}

/** Emmett on `url`; given `pool`, on that pool (so both stores can have the same number of connections). */
export function emmett(url: string, pool?: pg.Pool): Contender {
  const store = getPostgreSQLEventStore(
    url,
    pool ? { connectionOptions: { pooled: true, pool } } : undefined,
  );
  const reader = dumbo({ connectionString: url });
  return {
    name: 'Emmett 0.42 (PostgreSQL)',
    append: (stream, events) => store.appendToStream(stream, events),
    versionAfter: async (stream, known) => {
      const { events, currentStreamVersion } = await store.readStream(stream, { from: BigInt(known + 1) });
      return events.length > 0 ? Number(currentStreamVersion) : known;
    },
    appendExpecting: async (stream, events, version) => {
      try {
        await store.appendToStream(stream, events, { expectedStreamVersion: BigInt(version) });
        return true;
      } catch (error) {
        if (isExpectedVersionConflictError(error)) return false;
        throw error;
      }
    },
    readStream: async (stream) => (await store.readStream(stream)).events.length,
    readAll: async () => {
      let count = 0;
      let after = 0n;
      for (;;) {
        const batch = await readMessagesBatch(reader.execute, { after, batchSize: 1000 });
        if (batch.messages.length === 0) return count;
        count += batch.messages.length;
        after = batch.currentGlobalPosition;
      }
    },
    close: async () => {
      await store.close();
      await reader.close();
    },
  };
}

export const payload = (n: number) => ({
  type: 'order.placed',
  data: { orderId: `o-${n}`, total: 1999 + n, lines: [{ sku: 'widget', qty: 2 }] },
});

/** Runs `total` operations over `writers` concurrent loops; returns operations per second. */
export async function rate(
  total: number,
  writers: number,
  op: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (let i = next++; i < total; i = next++) await op(i);
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

/** The middle value (the upper one of an even count). */
export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** A database of its own on `adminUrl`'s server, for one bench run; `drop` removes it. */
export async function benchDatabase(adminUrl: string, prefix: string) {
  const database = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  return {
    url: adminUrl.replace(/\/[^/]*$/, `/${database}`),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    },
  };
}
