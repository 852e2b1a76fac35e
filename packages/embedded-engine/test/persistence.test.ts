import { Injectable } from '@nestjs/common';
import { type InngestContext, InngestFunction } from '@sagaline/nestjs-inngest';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EngineEvent,
  ManualClock,
  MemoryRunStore,
  PgliteRunStore,
  PostgresRunStore,
  type RunChange,
  type RunRecord,
  type RunStore,
} from '../src';
import { headOf, memoize, stepsOf } from '../src/runs/run-state';
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
      expect(rows[0].n).toBe(4);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await admin.query(`DROP SCHEMA IF EXISTS ${schema}_m CASCADE`);
    }
  });
});

describe.each<[string, () => Promise<RunStore>]>([
  ['memory', async () => new MemoryRunStore()],
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
    const schema = (store as unknown as { schema?: string }).schema;
    if (schema?.startsWith('engine_store_')) await admin().query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
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
    await store.commit({ events: [event], runs: [whole(run)] });
    await store.commit({ events: [], runs: [next({ ...run, status: 'cancelled', endedAt: 2 }, 0)] });
    expect(await store.getRun('r3')).toMatchObject({ status: 'cancelled', endedAt: 2, event });
    expect(await store.knownEvents(['evt-3'])).toEqual(new Set(['evt-3']));
  });

  it('saves and lists runs by function and status', async () => {
    const base = runOf({ id: 'evt-2', name: 'a/b', data: { n: 1 }, ts: 1 });
    await store.commit({
      events: [],
      runs: [
        whole({
          ...base,
          id: 'r1',
          functionId: 'app-one',
          status: 'running',
          eventInternalId: '01J0INTERNAL',
        }),
        whole({
          ...base,
          id: 'r2',
          functionId: 'app-two',
          status: 'completed',
          output: { ok: true },
          createdAt: 5,
        }),
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

  it("appends a run's new steps to those stored, giving the whole run back in order", async () => {
    const event = { id: 'evt-steps', name: 'a/b', data: { order: 'o-1' }, ts: 1 };
    const run: RunRecord = { ...runOf(event), id: 'r-steps', functionId: 'app-steps', status: 'running' };
    await store.commit({ events: [event], runs: [whole(run)] });
    memoize(run, 'h-reserve', { data: { sku: 'a' } }, entryOf('reserve', { sku: 'a' }), 10);
    memoize(run, 'h-sleep', null, { ...entryOf('cool-off', null), kind: 'sleep' }, 11);
    await store.commit({ events: [], runs: [next(run, 0)] });
    const failure = { name: 'Error', message: 'declined' };
    memoize(run, 'h-charge', { error: failure }, { ...entryOf('charge'), error: failure }, 12);
    run.status = 'failed';
    run.error = failure;
    await store.commit({ events: [], runs: [next(run, 2)] });
    expect(await store.getRun('r-steps')).toEqual(run);
    expect(await store.listRuns({ eventId: 'evt-steps' })).toEqual([run]);
  });

  it('keeps the stored events of a run when a change says they did not change, and takes new ones', async () => {
    const first = { id: 'evt-debounce-1', name: 'a/b', data: { n: 1 }, ts: 1 };
    const run: RunRecord = { ...runOf(first), id: 'r-events', functionId: 'app-events', status: 'running' };
    await store.commit({ events: [first], runs: [whole(run)] });
    run.pending = [{ kind: 'call', stepId: 'step', attempt: 0, dueAt: 5 }];
    await store.commit({ events: [], runs: [next(run, 0)] });
    expect((await store.getRun('r-events'))?.event).toEqual(first);
    const last = { id: 'evt-debounce-2', name: 'a/b', data: { n: 2 }, ts: 2 };
    run.event = last;
    run.events = [last];
    await store.commit({ events: [last], runs: [{ ...next(run, 0), eventsChanged: true }] });
    expect(await store.getRun('r-events')).toEqual(run);
  });

  it('never lets a caller change a stored run through what it read', async () => {
    const event = { id: 'evt-copy', name: 'a/b', data: { n: 1 }, ts: 1 };
    const run: RunRecord = { ...runOf(event), id: 'r-copy', functionId: 'app-copy', status: 'running' };
    memoize(run, 'h-one', { data: { n: 1 } }, entryOf('one', { n: 1 }), 2);
    await store.commit({ events: [event], runs: [whole(run)] });
    const read = (await store.getRun('r-copy'))!;
    (read.event.data as { n: number }).n = 99;
    (read.steps['h-one'] as { data: { n: number } }).data.n = 99;
    read.pending.push({ kind: 'sleep', opId: 'x', name: 'x', dueAt: 1 });
    expect(await store.getRun('r-copy')).toEqual(run);
  });
});

describe('a store holding runs written before steps had rows of their own', () => {
  const schema = `engine_legacy_${Math.random().toString(36).slice(2, 10)}`;
  afterAll(async () => {
    await admin().query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  it('reads them as they are, and rewrites one in the new form at its next write, losing no step', async () => {
    const event = { id: 'evt-legacy', name: 'a/b', data: { n: 1 }, ts: 1 };
    const run: RunRecord = { ...runOf(event), id: 'r-legacy', functionId: 'app-legacy', status: 'running' };
    memoize(run, 'h-one', { data: 1 }, entryOf('one', 1), 2);
    // The tables and the row as the previous version wrote them: the whole run in `state`.
    await admin().query(`
      CREATE SCHEMA ${schema};
      CREATE TABLE ${schema}.runs (id text PRIMARY KEY, function_id text NOT NULL, status text NOT NULL,
        event_id text NOT NULL, state text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),
        event_internal_id text, created_at bigint);
      CREATE TABLE ${schema}.events (id text PRIMARY KEY, name text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(), accepted_at bigint);
      CREATE TABLE ${schema}.apps (app_id text PRIMARY KEY, registration jsonb NOT NULL);`);
    await admin().query(
      `INSERT INTO ${schema}.runs (id, function_id, status, event_id, state, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [run.id, run.functionId, run.status, event.id, JSON.stringify(run), run.createdAt],
    );
    const store = await PostgresRunStore.create({ connectionString, schema });
    try {
      await store.init();
      expect(await store.getRun('r-legacy')).toEqual(run);
      expect(await store.listRuns({ status: 'running' })).toEqual([run]);
      // A resumed run's first write in a new process carries all its steps and its events.
      memoize(run, 'h-two', { data: 2 }, entryOf('two', 2), 3);
      run.status = 'completed';
      run.output = 3;
      await store.commit({ events: [], runs: [whole(run)] });
      expect(await store.getRun('r-legacy')).toEqual(run);
      const { rows } = await admin().query(`SELECT count(*)::int AS n FROM ${schema}.run_steps`);
      expect(rows[0].n).toBe(2);
    } finally {
      await store.close();
    }
  });
});

describe('the PostgreSQL store options', () => {
  it('refuses a poolSize that is not a whole number of connections, naming the option', async () => {
    await expect(PostgresRunStore.create({ connectionString, poolSize: 0 })).rejects.toMatchObject({
      option: 'poolSize',
    });
  });
});

describe('the memory store', () => {
  it('forgets the runs that finished first past maxFinishedRuns, never a run in progress', async () => {
    const store = new MemoryRunStore({ maxFinishedRuns: 2 });
    const event = { id: 'evt-bound', name: 'a/b', data: {}, ts: 1 };
    const runs = ['r-a', 'r-b', 'r-c', 'r-d'].map(
      (id): RunRecord => ({ ...runOf(event), id, functionId: 'app-bound', status: 'running' }),
    );
    await store.commit({ events: [event], runs: runs.map(whole) });
    for (const id of ['r-b', 'r-a', 'r-d']) {
      const run = runs.find((r) => r.id === id)!;
      run.status = 'completed';
      await store.commit({ events: [], runs: [next(run, 0)] });
    }
    expect(await store.getRun('r-b')).toBeUndefined();
    expect((await store.listRuns({})).map((run) => run.id)).toEqual(['r-a', 'r-c', 'r-d']);
    expect((await store.listRuns({ eventId: 'evt-bound' })).map((run) => run.id)).toEqual([
      'r-a',
      'r-c',
      'r-d',
    ]);
  });

  it('refuses a maxFinishedRuns that is not a number of runs, naming the option', () => {
    expect(() => new MemoryRunStore({ maxFinishedRuns: -1 })).toThrow(
      expect.objectContaining({ option: 'maxFinishedRuns' }),
    );
  });
});

/** A run's first write: its head and all its steps. */
function whole(run: RunRecord): RunChange {
  return { head: headOf(run), stepsBefore: 0, newSteps: stepsOf(run), eventsChanged: true };
}

/** A later write of a run whose first `stepsBefore` steps and events are stored. */
function next(run: RunRecord, stepsBefore: number): RunChange {
  return { head: headOf(run), stepsBefore, newSteps: stepsOf(run, stepsBefore), eventsChanged: false };
}

function entryOf(name: string, output?: unknown) {
  return { name, kind: 'run', attempts: 1, startedAt: 1, ...(output === undefined ? {} : { output }) };
}

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
