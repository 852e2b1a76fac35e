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

  @InngestFunction({
    id: 'settle',
    triggers: { event: 'flow/typed' },
    debounce: { period: '5m', key: 'event.data.doc', timeout: '20m' },
  })
  async settle({ event }: InngestContext) {
    return event.data.text;
  }

  @InngestFunction({ id: 'paced', triggers: { event: 'flow/paced' }, throttle: { limit: 1, period: '1h' } })
  async paced({ event }: InngestContext) {
    return event.data.n;
  }

  @InngestFunction({
    id: 'batched',
    triggers: { event: 'flow/item' },
    batchEvents: { maxSize: 3, timeout: '60s', key: 'event.data.cart' },
  })
  async batched({ events }: InngestContext) {
    return events.map((event) => event.data.n);
  }

  @InngestFunction({
    id: 'ranked',
    triggers: { event: 'flow/ranked' },
    concurrency: 1,
    priority: { run: 'event.data.vip ? 600 : 0' },
  })
  async ranked({ event, step }: InngestContext) {
    return step.run('serve', async () => {
      if (event.data.hold) await this.probe.waitForSlowBranch();
      this.probe.hit(`ranked:${event.data.n}`);
      return this.probe.counts.size;
    });
  }

  @InngestFunction({ id: 'jittery', triggers: { cron: 'TZ=UTC 0 3 * * *', jitter: '10m' } })
  async jittery({ event }: InngestContext) {
    return event.name;
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

// Both protocols: checkpointing (steps reported to /v1/checkpoint) and classic (one Call Request
// per step), since a deferred start, a cancel or a deadline may land in either.
describe.each([true, false])('flow control, checkpointing %s', (checkpointing) => {
  const schema = `engine_flow_${Math.random().toString(36).slice(2, 10)}`;
  const clock = new ManualClock(Date.parse('2030-01-01T00:00:00Z'));
  const probe = new Probe();
  let subject: EmbeddedApp;
  const start = async () =>
    startEmbeddedApp(
      'express',
      [{ provide: Probe, useValue: probe }, FlowFunctions],
      {
        clock,
        checkpointing,
        retryBackoffScale: 0,
        store: await PostgresRunStore.create({ connectionString, schema }),
      },
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

  it('debounce: one run, with the last event, a period after the last event (at most timeout after the first), across a restart', async () => {
    const first = await send('flow/typed', { doc: 'd1', text: 'h' });
    await send('flow/typed', { doc: 'd1', text: 'he' });
    await restart();
    await clock.advance(4 * 60_000);
    const last = await send('flow/typed', { doc: 'd1', text: 'hello' });
    expect(await subject.engine.listRuns({ eventId: first })).toEqual([]);
    await clock.advance(5 * 60_000);
    const run = await subject.engine.waitForRun({ eventId: last });
    expect(run.output).toBe('hello');
    expect(await runsOf('settle')).toHaveLength(1);
  });

  it('throttle: runs over the limit wait their turn in order instead of being dropped, across a restart', async () => {
    const ids = [];
    for (const n of [1, 2, 3]) ids.push(await send('flow/paced', { n }));
    expect((await subject.engine.waitForRun({ eventId: ids[0]! })).output).toBe(1);
    await restart();
    const pending = await subject.engine.listRuns({ functionId: 'paced', status: 'running' });
    expect(pending.map((run) => run.scheduledAt! - run.createdAt)).toEqual([HOUR, 2 * HOUR]);
    await clock.advance(HOUR);
    expect((await subject.engine.waitForRun({ eventId: ids[1]! })).output).toBe(2);
    await clock.advance(HOUR);
    expect((await subject.engine.waitForRun({ eventId: ids[2]! })).output).toBe(3);
  });

  it('batchEvents: a full batch starts at once; a partial one after its timeout, across a restart', async () => {
    const full = [];
    for (const n of [1, 2, 3]) full.push(await send('flow/item', { cart: 'c1', n }));
    const first = await subject.engine.waitForRun({ eventId: full[0]! });
    expect(first.output).toEqual([1, 2, 3]);
    const partial = await send('flow/item', { cart: 'c2', n: 4 });
    await send('flow/item', { cart: 'c2', n: 5 });
    await restart();
    await clock.advance(60_000);
    expect((await subject.engine.waitForRun({ eventId: partial })).output).toEqual([4, 5]);
    expect(await runsOf('batched')).toHaveLength(2);
  });

  it('priority.run: a queued run with a higher priority goes first', async () => {
    const holder = await send('flow/ranked', { n: 'holder', hold: true });
    await waitFor(
      async () => (await subject.engine.listRuns({ eventId: holder }))[0]?.startedAt !== undefined,
      30_000,
    );
    const low = await send('flow/ranked', { n: 'low' });
    const vip = await send('flow/ranked', { n: 'vip', vip: true });
    // both wait in the concurrency queue behind the holder before it is let go
    const limiter = (subject.engine as unknown as { limiter: { waiting: Map<string, unknown[]> } }).limiter;
    await waitFor(async () => [...limiter.waiting.values()].some((queue) => queue.length === 2), 30_000);
    probe.releaseSlowBranch();
    const [lowRun, vipRun] = [
      await subject.engine.waitForRun({ eventId: low }),
      await subject.engine.waitForRun({ eventId: vip }),
    ];
    expect(vipRun.output as number).toBeLessThan(lowRun.output as number);
  });

  it('cron jitter: the firing comes within the jitter after the schedule', async () => {
    const today = new Date(clock.now());
    let nextThree = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate(), 3);
    if (nextThree <= clock.now()) nextThree += 24 * HOUR;
    const before = (await runsOf('jittery')).length;
    await clock.advance(nextThree - clock.now() + 10 * 60_000);
    await waitFor(async () => (await runsOf('jittery')).length === before + 1, 30_000);
    const [run] = (await runsOf('jittery')).slice(-1);
    expect(run!.event.ts).toBe(nextThree);
    expect(run!.createdAt).toBeGreaterThanOrEqual(nextThree);
    expect(run!.createdAt).toBeLessThanOrEqual(nextThree + 10 * 60_000);
  });

  it('matches a wildcard only after "/" or ".", as the server does', async () => {
    await send('flow/midway', {});
    const exact = await send('flow/mid*', {});
    expect((await runsOf('mid-word')).map((run) => run.event.id)).toEqual([exact]);
  });
});
