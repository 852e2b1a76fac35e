import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  EmbeddedEngine,
  EngineLeaseError,
  EngineStoppedError,
  PgliteRunStore,
  PostgresRunStore,
  type RunStore,
} from '../src';
import { holdLeaseInChild, killHard } from './support/lease-holder';
import { waitFor } from './support/wait-for';

const connectionString = 'postgres://postgres@127.0.0.1:5432/test';
const admin = new pg.Pool({ connectionString, max: 1 });
const schemas: string[] = [];
const dirs: string[] = [];

afterAll(async () => {
  for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const kinds: Array<[string, () => Promise<{ target: string; store: () => Promise<RunStore> }>]> = [
  [
    'PostgreSQL schema',
    async () => {
      const schema = `engine_lease_${Math.random().toString(36).slice(2, 10)}`;
      schemas.push(schema);
      return { target: schema, store: () => PostgresRunStore.create({ connectionString, schema }) };
    },
  ],
  [
    'PGlite directory',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'engine-lease-'));
      dirs.push(dir);
      return { target: dir, store: () => PgliteRunStore.create({ dataDir: join(dir, 'engine') }) };
    },
  ],
];

describe.each(kinds)('one engine per %s', (kind, prepare) => {
  it('refuses a second engine, naming the store and pointing to an Inngest server', async () => {
    const { store } = await prepare();
    const first = await EmbeddedEngine.start({ store: await store() });
    try {
      const second = EmbeddedEngine.start({ store: await store(), leaseWaitMs: 300 });
      await expect(second).rejects.toBeInstanceOf(EngineLeaseError);
      await expect(second).rejects.toMatchObject({ code: 'ENGINE_STORE_LEASED' });
      await expect(second).rejects.toThrow(/Inngest server \(self-hosted `inngest start` or Inngest Cloud\)/);
      await expect(second).rejects.toThrow(
        kind.startsWith('PostgreSQL') ? /PostgreSQL schema/ : /PGlite directory/,
      );
      // the refused engine left the holder working
      const { ids } = await first.send({ name: 'lease/ping' });
      expect(ids).toHaveLength(1);
    } finally {
      await first.close();
    }
    const next = await EmbeddedEngine.start({ store: await store(), leaseWaitMs: 5_000 });
    await next.close();
  });

  it('lets a waiting engine take over within seconds of the holder being killed', async () => {
    const { store, target } = await prepare();
    const holder = await holdLeaseInChild(
      kind.startsWith('PostgreSQL') ? 'postgres' : 'pglite',
      kind.startsWith('PostgreSQL') ? target : join(target, 'engine'),
    );
    let tookOver = false;
    const standby = EmbeddedEngine.start({ store: await store(), leaseWaitMs: 60_000 }).then((engine) => {
      tookOver = true;
      return engine;
    });
    try {
      // while the holder lives, the standby waits: it has not started after the holder answered a probe
      await expect(EmbeddedEngine.start({ store: await store(), leaseWaitMs: 0 })).rejects.toBeInstanceOf(
        EngineLeaseError,
      );
      expect(tookOver).toBe(false);
    } finally {
      await killHard(holder);
    }
    const engine = await standby;
    expect(tookOver).toBe(true);
    await engine.close();
  });
});

describe('losing the PostgreSQL lease', () => {
  it('stops the engine: it accepts nothing more, since another engine may hold the store now', async () => {
    const schema = `engine_lease_${Math.random().toString(36).slice(2, 10)}`;
    schemas.push(schema);
    const errors: string[] = [];
    const engine = await EmbeddedEngine.start({
      store: await PostgresRunStore.create({ connectionString, schema }),
      logger: { log: () => undefined, warn: () => undefined, error: (message) => errors.push(message) },
    });
    try {
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sagaline-engine-lease'
           AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = hashtext($1)::oid)`,
        [`sagaline-engine-lease:${schema}`],
      );
      await waitFor(async () => errors.some((message) => message.includes('lost its store lease')), 10_000);
      await expect(engine.send({ name: 'lease/after' })).rejects.toBeInstanceOf(EngineStoppedError);
      const successor = await EmbeddedEngine.start({
        store: await PostgresRunStore.create({ connectionString, schema }),
        leaseWaitMs: 5_000,
      });
      await successor.close();
    } finally {
      await engine.close();
    }
  });
});

describe('options', () => {
  it.each([
    [{ leaseWaitMs: -1 }, 'leaseWaitMs'],
    [{ signingKey: 'not-a-key' }, 'signingKey'],
    [{ signingKey: 'signkey-test-xyz' }, 'signingKey'],
    [{ eventKey: 'a/b' }, 'eventKey'],
    [{ eventKey: '' }, 'eventKey'],
  ])('refuses %o, naming the option', async (options, option) => {
    const attempt = EmbeddedEngine.start(options);
    await expect(attempt).rejects.toMatchObject({ code: 'ENGINE_CONFIGURATION', option });
    await expect(attempt).rejects.toThrow(option);
  });
});
