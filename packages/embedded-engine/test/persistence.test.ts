import { Injectable } from '@nestjs/common';
import { type InngestContext, InngestFunction } from '@sagaline/nestjs-inngest';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineEvent, ManualClock, PgliteRunStore, PostgresRunStore, type RunStore } from '../src';
import { startEmbeddedApp } from './support/embedded-app';
import { waitFor } from './support/wait-for';

const HOUR = 3_600_000;
const executions = new Map<string, number>();
const hit = (key: string) => executions.set(key, (executions.get(key) ?? 0) + 1).get(key)!;

@Injectable()
class DurableFunctions {
  @InngestFunction({ id: 'durable', triggers: { event: 'durable/start' } })
  async durable({ event, step }: InngestContext) {
    const key = event.data.key as string;
    const reserved = await step.run('reserve', () => hit(`${key}:reserve`));
    await step.sleep('cool-off', '1h');
    const approval = await step.waitForEvent('approval', {
      event: 'durable/approved',
      match: 'data.key',
      timeout: '1d',
    });
    const charged = await step.run('charge', () => hit(`${key}:charge`));
    return { reserved, charged, approvedBy: approval?.data.by };
  }
}

const connectionString = 'postgres://postgres@127.0.0.1:5432/test';

describe('a crash mid-run, on the PostgreSQL store', () => {
  const schema = `engine_crash_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Pool({ connectionString, max: 1 });

  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  it('resumes every pending run after a restart, running no stored step again', async () => {
    const clock = new ManualClock(Date.parse('2030-01-01T00:00:00Z'));
    const store = () => PostgresRunStore.create({ connectionString, schema });

    const first = await startEmbeddedApp(
      'express',
      [DurableFunctions],
      { clock, store: await store() },
      'crash',
    );
    const { ids } = await first.inngest.send({ name: 'durable/start', data: { key: 'k1' } });
    const sleeping = await first.engine.waitForRun({ eventId: ids[0], status: 'running' });
    await waitFor(async () => (await first.engine.getRun(sleeping.id))?.pending[0]?.kind === 'sleep');
    await first.close(); // the "crash": the process's engine and app are gone

    const second = await startEmbeddedApp(
      'fastify',
      [DurableFunctions],
      { clock, store: await store() },
      'crash',
    );
    try {
      await clock.advance(HOUR);
      await waitFor(async () => (await second.engine.getRun(sleeping.id))?.pending[0]?.kind === 'wait');
      await second.inngest.send({ name: 'durable/approved', data: { key: 'k1', by: 'ops' } });
      const done = await second.engine.waitForRun({ runId: sleeping.id });

      expect(done.status).toBe('completed');
      expect(done.output).toEqual({ reserved: 1, charged: 1, approvedBy: 'ops' });
      expect(executions.get('k1:reserve')).toBe(1);
      expect(executions.get('k1:charge')).toBe(1);
      expect(done.timeline.map((step) => step.name)).toEqual(['reserve', 'cool-off', 'approval', 'charge']);
    } finally {
      await second.close();
    }
  });

  it('serialises the schema migration of two engines starting at once', async () => {
    const stores = await Promise.all(
      [1, 2].map(() => PostgresRunStore.create({ connectionString, schema: `${schema}_m` })),
    );
    try {
      await Promise.all(stores.map((s) => s.init()));
      const { rows } = await admin.query(
        `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1`,
        [`${schema}_m`],
      );
      expect(rows[0].n).toBe(3);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await admin.query(`DROP SCHEMA IF EXISTS ${schema}_m CASCADE`);
    }
  });
});

describe.each<[string, () => Promise<RunStore>]>([
  ['PGlite in memory', () => PgliteRunStore.create()],
  [
    'PostgreSQL',
    () =>
      PostgresRunStore.create({
        connectionString,
        schema: `engine_store_${Math.random().toString(36).slice(2, 10)}`,
      }),
  ],
])('the %s store', (_name, createStore) => {
  let store: RunStore;
  beforeAll(async () => {
    store = await createStore();
    await store.init();
  });
  afterAll(async () => {
    const schema = (store as unknown as { schema: string }).schema;
    if (schema.startsWith('engine_store_')) await admin().query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await store.close();
  });

  it('knows an event id once it is committed, and a repeated id changes nothing', async () => {
    const event = { id: 'evt-1', name: 'a/b', data: {}, ts: 1 };
    expect(await store.knownEvents(['evt-1'])).toEqual(new Set());
    await store.commit({ events: [event], runs: [] });
    await store.commit({ events: [event, event], runs: [] });
    expect(await store.knownEvents(['evt-1', 'evt-0'])).toEqual(new Set(['evt-1']));
  });

  it('knows an event id only from the time given on (the engine forgets ids after 24 hours)', async () => {
    const event = { id: 'evt-window', name: 'a/b', data: {}, ts: 1 };
    await store.commit({ events: [event], runs: [], acceptedAt: 1_000 });
    expect(await store.knownEvents(['evt-window'], 500)).toEqual(new Set(['evt-window']));
    expect(await store.knownEvents(['evt-window'], 2_000)).toEqual(new Set());
    await store.commit({ events: [event], runs: [], acceptedAt: 3_000 });
    expect(await store.knownEvents(['evt-window'], 2_000)).toEqual(new Set(['evt-window']));
  });

  it('commits events and runs together, the last state of a run winning', async () => {
    const event = { id: 'evt-3', name: 'a/b', data: { text: 'nul \u0000 byte' }, ts: 1 };
    const run = { ...runOf(event), id: 'r3', functionId: 'elsewhere-x', status: 'running' as const };
    await store.commit({ events: [event], runs: [run] });
    await store.commit({ events: [], runs: [{ ...run, status: 'cancelled', endedAt: 2 }] });
    expect(await store.getRun('r3')).toMatchObject({ status: 'cancelled', endedAt: 2, event });
    expect(await store.knownEvents(['evt-3'])).toEqual(new Set(['evt-3']));
  });

  it('saves and lists runs by function and status', async () => {
    const base = runOf({ id: 'evt-2', name: 'a/b', data: { n: 1 }, ts: 1 });
    await store.commit({
      events: [],
      runs: [
        { ...base, id: 'r1', functionId: 'app-one', status: 'running', eventInternalId: '01J0INTERNAL' },
        { ...base, id: 'r2', functionId: 'app-two', status: 'completed', output: { ok: true }, createdAt: 5 },
      ],
    });
    await store.saveApp({ appId: 'app', url: 'http://x', functions: [] });
    expect((await store.listRuns({ functionId: 'one' })).map((r) => r.id)).toEqual(['r1']);
    expect((await store.listRuns({ functionId: 'app-two' })).map((r) => r.id)).toEqual(['r2']);
    expect((await store.listRuns({ functionId: 'three' })).map((r) => r.id)).toEqual([]);
    expect((await store.listRuns({ status: 'completed' })).map((r) => r.id)).toEqual(['r2']);
    expect((await store.listRuns({ eventId: 'evt-2', status: 'running' })).map((r) => r.id)).toEqual(['r1']);
    expect((await store.listRuns({ eventId: 'evt-other' })).map((r) => r.id)).toEqual([]);
    expect((await store.listRuns({ eventId: '01J0INTERNAL' })).map((r) => r.id)).toEqual(['r1']);
    expect((await store.listRuns({ createdSince: 5 })).map((r) => r.id)).toEqual(['r2']);
    expect((await store.listRuns({ createdSince: 6 })).map((r) => r.id)).toEqual([]);
    expect((await store.getRun('r2'))?.output).toEqual({ ok: true });
    expect((await store.loadApp())?.appId).toBe('app');
  });
});

/** The fields of a fresh run of `event`, less its id, function and status. */
function runOf(event: EngineEvent) {
  return {
    event,
    events: [event],
    createdAt: 1,
    steps: {},
    stack: [],
    timeline: [],
    pending: [],
    forcePlan: false,
  };
}

let adminPool: pg.Pool | undefined;
function admin(): pg.Pool {
  adminPool ??= new pg.Pool({ connectionString, max: 1 });
  return adminPool;
}
afterAll(async () => adminPool?.end());
