import { Injectable } from '@nestjs/common';
import { type InngestContext, InngestFunction } from '@sagaline/nestjs-inngest';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, PostgresRunStore } from '../src';
import { type EmbeddedApp, startEmbeddedApp } from './support/embedded-app';
import { Probe } from './support/functions';
import { waitFor } from './support/wait-for';

const HOUR = 3_600_000;
const connectionString = 'postgres://postgres@127.0.0.1:5432/test';

// Semantics from Inngest's docs and the server (pkg/execution/state, the queue's flow control):
// idempotency keeps a key 24 h; rateLimit skips events over `limit` per `period`; singleton skips
// (or cancels the holder) while a run with the key is in progress; `env`/`account` concurrency is
// shared across functions; cancelOn's `timeout` bounds how long a rule applies; timeouts cancel.
@Injectable()
class FlowFunctions {
  constructor(readonly probe: Probe) {}

  @InngestFunction({
    id: 'once-per-user',
    triggers: { event: 'flow/signup' },
    idempotency: 'event.data.user',
  })
  async oncePerUser({ event }: InngestContext) {
    return event.data.user;
  }

  @InngestFunction({
    id: 'limited-rate',
    triggers: { event: 'flow/ping' },
    rateLimit: { limit: 2, period: '1h', key: 'event.data.tenant' },
  })
  async limitedRate({ event }: InngestContext) {
    return event.data.n;
  }

  @InngestFunction({
    id: 'single',
    triggers: { event: 'flow/single' },
    singleton: { key: 'event.data.k', mode: 'skip' },
  })
  async single({ step }: InngestContext) {
    await step.sleep('hold', '1h');
    return 'done';
  }

  @InngestFunction({
    id: 'latest-only',
    triggers: { event: 'flow/latest' },
    singleton: { key: 'event.data.k', mode: 'cancel' },
  })
  async latestOnly({ event, step }: InngestContext) {
    await step.sleep('hold', '1h');
    return event.data.n;
  }

  @InngestFunction({
    id: 'shared-a',
    triggers: { event: 'flow/shared' },
    concurrency: { limit: 1, scope: 'env', key: 'event.data.tenant' },
  })
  async sharedA() {
    return this.busy();
  }

  @InngestFunction({
    id: 'shared-b',
    triggers: { event: 'flow/shared' },
    concurrency: { limit: 1, scope: 'env', key: 'event.data.tenant' },
  })
  async sharedB() {
    return this.busy();
  }

  @InngestFunction({
    id: 'cancel-window',
    triggers: { event: 'flow/window' },
    cancelOn: [{ event: 'flow/stop', match: 'data.k', timeout: '1h' }],
  })
  async cancelWindow({ step }: InngestContext) {
    await step.sleep('hold', '1d');
    return 'finished';
  }

  @InngestFunction({ id: 'must-finish', triggers: { event: 'flow/slow' }, timeouts: { finish: '1h' } })
  async mustFinish({ step }: InngestContext) {
    await step.sleep('hold', '1d');
    return 'finished';
  }

  @InngestFunction({ id: 'mid-word', triggers: { event: 'flow/mid*' } })
  async midWord({ event }: InngestContext) {
    return event.name;
  }

  private async busy() {
    this.probe.inFlight.current++;
    this.probe.inFlight.max = Math.max(this.probe.inFlight.max, this.probe.inFlight.current);
    await new Promise((resolve) => setImmediate(resolve));
    this.probe.inFlight.current--;
    return 'ok';
  }
}

describe('flow control', () => {
  const schema = `engine_flow_${Math.random().toString(36).slice(2, 10)}`;
  const clock = new ManualClock(Date.parse('2030-01-01T00:00:00Z'));
  const probe = new Probe();
  let subject: EmbeddedApp;
  const start = async () =>
    startEmbeddedApp(
      'express',
      [{ provide: Probe, useValue: probe }, FlowFunctions],
      { clock, retryBackoffScale: 0, store: await PostgresRunStore.create({ connectionString, schema }) },
      'flow',
    );
  /** A restart on the same PostgreSQL schema: whatever flow control knows must come back. */
  const restart = async () => {
    await subject.close();
    subject = await start();
  };
  const send = async (name: string, data: Record<string, unknown>) =>
    (await subject.inngest.send({ name, data })).ids[0]!;
  const runsOf = (functionId: string) => subject.engine.listRuns({ functionId });
  /** Waits until the run of an event sleeps: only then does moving the clock wake it. */
  const sleeping = (eventId: string) =>
    waitFor(
      async () => (await subject.engine.listRuns({ eventId }))[0]?.pending[0]?.kind === 'sleep',
      30_000,
    );

  beforeAll(async () => {
    subject = await start();
  });
  afterAll(async () => {
    await subject?.close();
    const admin = new pg.Client({ connectionString });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  it('idempotency: one run per key in 24 hours, across a restart', async () => {
    await subject.engine.waitForRun({ eventId: await send('flow/signup', { user: 'ada' }) });
    await send('flow/signup', { user: 'ada' });
    await subject.engine.waitForRun({ eventId: await send('flow/signup', { user: 'bob' }) });
    await restart();
    await send('flow/signup', { user: 'ada' });
    expect((await runsOf('once-per-user')).map((run) => run.output)).toEqual(['ada', 'bob']);
    await clock.advance(24 * HOUR + 1);
    await subject.engine.waitForRun({ eventId: await send('flow/signup', { user: 'ada' }) });
    expect((await runsOf('once-per-user')).map((run) => run.output)).toEqual(['ada', 'bob', 'ada']);
  });

  it('rateLimit: at most `limit` runs per period and key, across a restart; later events run again', async () => {
    for (const n of [1, 2, 3]) await send('flow/ping', { tenant: 't1', n });
    await send('flow/ping', { tenant: 't2', n: 4 });
    await restart();
    await send('flow/ping', { tenant: 't1', n: 5 });
    expect((await runsOf('limited-rate')).map((run) => run.event.data.n)).toEqual([1, 2, 4]);
    await clock.advance(HOUR + 1);
    await send('flow/ping', { tenant: 't1', n: 6 });
    expect((await runsOf('limited-rate')).map((run) => run.event.data.n)).toEqual([1, 2, 4, 6]);
  });

  it('singleton skip: no second run for a key while one is in progress', async () => {
    const first = await send('flow/single', { k: 'a' });
    await send('flow/single', { k: 'a' });
    await send('flow/single', { k: 'b' });
    expect((await runsOf('single')).map((run) => [run.event.id === first, run.event.data.k])).toEqual([
      [true, 'a'],
      [false, 'b'],
    ]);
    await sleeping(first);
    await clock.advance(HOUR);
    await subject.engine.waitForRun({ eventId: first });
    await send('flow/single', { k: 'a' });
    expect(await runsOf('single')).toHaveLength(3);
  });

  it('singleton cancel: a new run for a key cancels the one in progress', async () => {
    const first = await send('flow/latest', { k: 'a', n: 1 });
    const second = await send('flow/latest', { k: 'a', n: 2 });
    expect((await subject.engine.waitForRun({ eventId: first })).status).toBe('cancelled');
    await sleeping(second);
    await clock.advance(HOUR);
    expect((await subject.engine.waitForRun({ eventId: second })).output).toBe(2);
  });

  it('concurrency with scope env is shared by every function with the key', async () => {
    probe.inFlight.max = 0;
    const ids = await Promise.all([1, 2, 3].map(() => send('flow/shared', { tenant: 'x' })));
    for (const id of ids) {
      await waitFor(
        async () => (await subject.engine.listRuns({ eventId: id, status: 'completed' })).length === 2,
      );
    }
    expect(probe.inFlight.max).toBe(1);
  });

  it("cancelOn's timeout: the rule cancels within its window only", async () => {
    const early = await send('flow/window', { k: 'early' });
    await send('flow/stop', { k: 'early' });
    expect((await subject.engine.waitForRun({ eventId: early })).status).toBe('cancelled');
    const late = await send('flow/window', { k: 'late' });
    await sleeping(late);
    await clock.advance(2 * HOUR);
    await send('flow/stop', { k: 'late' });
    await clock.advance(24 * HOUR);
    expect((await subject.engine.waitForRun({ eventId: late })).output).toBe('finished');
  });

  it('timeouts.finish cancels a run still going after it, across a restart', async () => {
    const id = await send('flow/slow', {});
    await sleeping(id);
    await restart();
    await clock.advance(HOUR);
    const run = await subject.engine.waitForRun({ eventId: id });
    expect(run.status).toBe('cancelled');
    expect(run.error).toMatchObject({ name: 'InngestFunctionTimeoutError' });
  });

  it('matches a wildcard only after "/" or ".", as the server does', async () => {
    await send('flow/midway', {});
    const exact = await send('flow/mid*', {});
    expect((await runsOf('mid-word')).map((run) => run.event.id)).toEqual([exact]);
  });
});
