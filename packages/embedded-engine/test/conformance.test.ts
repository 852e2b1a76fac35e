import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src';
import { type EmbeddedApp, type Platform, startEmbeddedApp } from './support/embedded-app';
import { ConformanceFunctions, Probe } from './support/functions';
import { waitFor } from './support/wait-for';

const HOUR = 3_600_000;
const INSPECTION_TOKEN = 'conformance-inspection-token';
let ticketCounter = 0;
const ticket = () => `t-${++ticketCounter}-${Math.random().toString(36).slice(2, 8)}`;

const modes = [
  ['express', true],
  ['express', false],
  ['fastify', true],
  ['fastify', false],
] as Array<[Platform, boolean]>;

describe.each(modes)('conformance on %s, checkpointing %s', (platform, checkpointing) => {
  let subject: EmbeddedApp;
  let clock: ManualClock;
  let probe: Probe;

  beforeAll(async () => {
    clock = new ManualClock(Date.parse('2030-01-01T00:00:00Z'));
    probe = new Probe();
    subject = await startEmbeddedApp(platform, [{ provide: Probe, useValue: probe }, ConformanceFunctions], {
      clock,
      checkpointing,
      retryBackoffScale: 0,
      inspection: { token: INSPECTION_TOKEN },
    });
  });

  afterAll(() => subject?.close());

  const run = async (name: string, data: Record<string, unknown>, status?: string) => {
    const { ids } = await subject.inngest.send({ name, data });
    return subject.engine.waitForRun({ eventId: ids[0], ...(status ? { status: status as never } : {}) });
  };

  it('runs step.run steps in order and completes with the output and a step timeline', async () => {
    const result = await run('conf/three-steps', { input: 'x' });
    expect(result.status).toBe('completed');
    expect(result.output).toBe('x-a-b-c');
    expect(result.timeline.map((step) => step.name)).toEqual(['a', 'b', 'c']);
    expect(result.timeline.every((step) => step.attempts === 1 && step.endedAt! >= step.startedAt)).toBe(
      true,
    );
  });

  // The server answers the ids its event handler returns, the internal ULIDs of the tracked events,
  // not the caller's ids (inngest/inngest pkg/api/api.go, ReceiveEvent); a run's event keeps the
  // caller's id when one was given (pkg/cqrs marshalRaw: EventID, else the internal id).
  it('answers the event API with internal ids and triggers nothing for an event id seen before', async () => {
    const id = `dedupe-${ticket()}`;
    const first = await subject.inngest.send({ name: 'conf/three-steps', data: { input: 'once' }, id });
    const second = await subject.inngest.send({ name: 'conf/three-steps', data: { input: 'twice' }, id });
    const ulidPattern = /^[0-9A-HJKMNP-TV-Z]{26}$/;
    expect(first.ids).toEqual([expect.stringMatching(ulidPattern)]);
    expect(second.ids).toEqual([expect.stringMatching(ulidPattern)]);
    expect(second.ids[0]).not.toBe(first.ids[0]);
    const run = await subject.engine.waitForRun({ eventId: id });
    expect(run.event.id).toBe(id);
    expect(run.event.data).toEqual({ input: 'once' });
    expect((await subject.engine.listRuns({ eventId: first.ids[0] })).map((found) => found.id)).toEqual([
      run.id,
    ]);
    expect(await subject.engine.listRuns({ eventId: second.ids[0] })).toHaveLength(0);
    expect(await subject.engine.listRuns({ eventId: id })).toHaveLength(1);
  });

  it('matches wildcard triggers', async () => {
    const result = await run('conf/wild.anything', {});
    expect(result.functionId).toBe('conformance-wildcard');
    expect(result.output).toBe('conf/wild.anything');
  });

  it('filters triggers with their `if` expression', async () => {
    const small = await subject.inngest.send({ name: 'conf/order', data: { total: 50 } });
    const big = await run('conf/order', { total: 150 });
    expect(big.output).toBe(150);
    expect(await subject.engine.listRuns({ eventId: small.ids[0] })).toHaveLength(0);
  });

  it('sleeps and sleeps until a date on the engine clock', async () => {
    const until = clock.now() + 3 * HOUR;
    const { ids } = await subject.inngest.send({ name: 'conf/sleep', data: { until } });
    const sleeping = await subject.engine.waitForRun({ eventId: ids[0], status: 'running' });
    await waitFor(async () => (await subject.engine.getRun(sleeping.id))?.pending[0]?.kind === 'sleep');
    await clock.advance(HOUR);
    await waitFor(async () => (await subject.engine.getRun(sleeping.id))?.timeline.length === 1);
    await waitFor(async () => (await subject.engine.getRun(sleeping.id))?.pending[0]?.dueAt === until);
    await clock.advance(until - clock.now());
    const done = await subject.engine.waitForRun({ runId: sleeping.id });
    expect(done.output).toBe('woke');
    expect(done.timeline.map((step) => step.kind)).toEqual(['sleep', 'sleep', 'run']);
  });

  it('resumes waitForEvent with the matching event (match)', async () => {
    const t = ticket();
    const { ids } = await subject.inngest.send({ name: 'conf/wait', data: { ticket: t } });
    const waiting = await subject.engine.waitForRun({ eventId: ids[0], status: 'running' });
    await waitFor(async () => (await subject.engine.getRun(waiting.id))?.pending[0]?.kind === 'wait');
    await subject.inngest.send({ name: 'conf/approved', data: { ticket: 'someone-else', by: 'eve' } });
    await subject.inngest.send({ name: 'conf/approved', data: { ticket: t, by: 'ada' } });
    expect((await subject.engine.waitForRun({ runId: waiting.id })).output).toEqual({ approvedBy: 'ada' });
  });

  it('resumes waitForEvent only when its `if` expression holds', async () => {
    const t = ticket();
    const { ids } = await subject.inngest.send({ name: 'conf/wait-if', data: { ticket: t } });
    const waiting = await subject.engine.waitForRun({ eventId: ids[0], status: 'running' });
    await waitFor(async () => (await subject.engine.getRun(waiting.id))?.pending[0]?.kind === 'wait');
    await subject.inngest.send({ name: 'conf/answer', data: { ticket: t, value: 3 } });
    await subject.inngest.send({ name: 'conf/answer', data: { ticket: t, value: 42 } });
    expect((await subject.engine.waitForRun({ runId: waiting.id })).output).toBe(42);
  });

  it('gives null to a waitForEvent that times out', async () => {
    const { ids } = await subject.inngest.send({ name: 'conf/wait', data: { ticket: ticket() } });
    const waiting = await subject.engine.waitForRun({ eventId: ids[0], status: 'running' });
    await waitFor(async () => (await subject.engine.getRun(waiting.id))?.pending[0]?.kind === 'wait');
    await clock.advance(HOUR);
    expect((await subject.engine.waitForRun({ runId: waiting.id })).output).toEqual({ timedOut: true });
  });

  it('delivers events from step.sendEvent, which trigger functions', async () => {
    const t = ticket();
    const sent = await run('conf/send', { ticket: t });
    expect(sent.output).toBe(1);
    const triggered = await subject.engine.waitForRun({ functionId: 'wildcard', status: 'completed' });
    const all = await subject.engine.listRuns({ functionId: 'wildcard' });
    expect(all.some((r) => r.event.name === 'conf/wild.sent' && r.event.data.from === t)).toBe(true);
    expect(triggered.status).toBe('completed');
  });

  it('invokes a function and returns its result', async () => {
    expect((await run('conf/invoke', { value: 21 })).output).toEqual({ doubled: 42 });
  });

  it('throws the invoked function’s error in the caller', async () => {
    const result = await run('conf/invoke', { value: 1, mode: 'fail' });
    expect(result.output).toEqual({ caught: 'child refused' });
  });

  it('times out an invoke whose function does not finish in time', async () => {
    const { ids } = await subject.inngest.send({ name: 'conf/invoke', data: { value: 1, mode: 'hang' } });
    const parent = await subject.engine.waitForRun({ eventId: ids[0], status: 'running' });
    await waitFor(async () => (await subject.engine.getRun(parent.id))?.pending[0]?.kind === 'invoke');
    await clock.advance(10 * 60_000);
    const result = await subject.engine.waitForRun({ runId: parent.id });
    expect(result.output).toEqual({ caught: 'Timed out waiting for invoked function to complete' });
  });

  it('runs parallel steps once each and joins them', async () => {
    const before = ['x', 'y', 'z'].map((s) => probe.count(`parallel-${s}`));
    const result = await run('conf/parallel', {});
    expect(result.status).toBe('completed');
    expect(['x', 'y', 'z'].map((s, i) => probe.count(`parallel-${s}`) - before[i]!)).toEqual([1, 1, 1]);
    expect(result.timeline.map((step) => step.name).sort()).toEqual(['sum', 'x', 'y', 'z']);
  });

  it('asks what comes next as soon as a branch of a race ends, so a branch runs on while another is busy', async () => {
    // The server's ParallelModeRace: "schedule a discovery request immediately after each parallel
    // step ends", so sequential steps of one branch run independently of the others.
    const { ids } = await subject.inngest.send({ name: 'conf/race', data: {} });
    try {
      await waitFor(async () => {
        const [raced] = await subject.engine.listRuns({ eventId: ids[0] });
        return raced?.timeline.some((step) => step.name === 'fast-2') ?? false;
      }, 30_000);
      const [raced] = await subject.engine.listRuns({ eventId: ids[0] });
      expect(raced!.timeline.map((step) => step.name)).not.toContain('slow');
    } finally {
      probe.releaseSlowBranch();
    }
    const result = await subject.engine.waitForRun({ eventId: ids[0] });
    expect(result.output).toBe('fast-2');
  });

  it('performs step.fetch itself, as the server does, and memoizes the response', async () => {
    const seen: string[] = [];
    const echo = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        seen.push(`${req.method} ${req.url}`);
        res.writeHead(201, { 'content-type': 'text/plain' });
        res.end(`${req.method} ${req.headers['x-test']} ${body}`);
      });
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = echo.address() as AddressInfo;
      const result = await run('conf/fetch', { url: `http://127.0.0.1:${port}` });
      expect(result.output).toEqual({ status: 201, body: 'POST yes ping' });
      expect(result.timeline.map((step) => step.name)).toEqual(['step.fetch: 127.0.0.1']);
      expect(seen).toEqual(['POST /echo']);
    } finally {
      echo.close();
    }
  });

  it('refuses realtime publish by name instead of a bare 404', async () => {
    const response = await fetch(`${subject.engine.baseUrl}/v1/realtime/publish?channel=c`, {
      method: 'POST',
    });
    expect(response.status).toBe(501);
    expect(response.statusText).toContain('Realtime publish is not run by the embedded engine');
  });

  it("fails a run whose step returns more than 4 MiB, with the server's words", async () => {
    const result = await run('conf/oversized', {});
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ name: 'StepOutputTooLargeError' });
    expect(result.error!.message).toContain('step output size is greater than the limit');
  });

  it('starts the runs of an event dated in the future at its time', async () => {
    const { ids } = await subject.inngest.send({
      name: 'conf/three-steps',
      data: { input: 'later' },
      ts: clock.now() + HOUR,
    });
    const [waiting] = await subject.engine.listRuns({ eventId: ids[0] });
    expect(waiting).toMatchObject({ status: 'running', timeline: [], scheduledAt: clock.now() + HOUR });
    await clock.advance(HOUR);
    expect((await subject.engine.waitForRun({ eventId: ids[0] })).output).toBe('later-a-b-c');
  });

  it('lets a repeated event id resume a wait though it starts nothing, and forgets ids after 24 hours', async () => {
    const t = ticket();
    const id = `approval-${t}`;
    await subject.inngest.send({ name: 'conf/approved', id, data: { ticket: t, by: 'first' } });
    const { ids } = await subject.inngest.send({ name: 'conf/wait', data: { ticket: t } });
    await waitFor(
      async () => (await subject.engine.listRuns({ eventId: ids[0] }))[0]?.pending[0]?.kind === 'wait',
      30_000,
    );
    await subject.inngest.send({ name: 'conf/approved', id, data: { ticket: t, by: 'again' } });
    expect((await subject.engine.waitForRun({ eventId: ids[0] })).output).toEqual({ approvedBy: 'again' });

    const dedupe = `dedupe-day-${t}`;
    await subject.inngest.send({ name: 'conf/three-steps', id: dedupe, data: { input: 'one' } });
    await subject.engine.waitForRun({ eventId: dedupe });
    await clock.advance(24 * HOUR + 1);
    await subject.inngest.send({ name: 'conf/three-steps', id: dedupe, data: { input: 'two' } });
    await waitFor(
      async () => (await subject.engine.listRuns({ eventId: dedupe, status: 'completed' })).length === 2,
      30_000,
    );
  });

  it('refuses an event over 512 KiB with 400 and the reason, storing nothing', async () => {
    const id = `too-big-${ticket()}`;
    const response = await fetch(`${subject.engine.baseUrl}/e/${subject.engine.eventKey}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ name: 'conf/three-steps', id, data: { input: 'x'.repeat(512 * 1024) } }]),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toContain('at most 524288 bytes');
    expect(await subject.engine.listRuns({ eventId: id })).toEqual([]);
  });

  it('expires at once a waitForEvent whose timeout the SDK sent as "" (it never waits for ever)', async () => {
    const result = await run('conf/compound-wait', {});
    expect(result.output).toBe('expired');
  });

  it('retries a step that fails twice, then succeeds', async () => {
    const t = ticket();
    const result = await run('conf/flaky', { ticket: t });
    expect(result.output).toBe('ok after 3');
    expect(probe.count(`flaky-${t}`)).toBe(3);
    expect(result.timeline[0]).toMatchObject({ name: 'sometimes', attempts: 3 });
  });

  it('fails after the retries, fires inngest/function.failed and runs onFailure', async () => {
    const t = ticket();
    const result = await run('conf/doomed', { ticket: t });
    expect(result.status).toBe('failed');
    expect(result.error?.message).toBe('gateway down');
    expect(probe.count(`doomed-${t}`)).toBe(2);
    await subject.engine.waitForRun({ functionId: 'doomed-failure', status: 'completed' });
    await waitFor(async () => probe.failures.some((f) => (f as { ticket: string }).ticket === t));
    expect(probe.failures).toContainEqual({ ticket: t, message: 'gateway down' });
  });

  it('does not retry a NonRetriableError', async () => {
    const t = ticket();
    const result = await run('conf/doomed', { ticket: t, permanent: true });
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ name: 'NonRetriableError', message: 'card declined' });
    expect(probe.count(`doomed-${t}`)).toBe(1);
  });

  it('reschedules a RetryAfterError after the time it asks for', async () => {
    const t = ticket();
    const { ids } = await subject.inngest.send({ name: 'conf/retry-after', data: { ticket: t } });
    const waiting = await subject.engine.waitForRun({ eventId: ids[0], status: 'running' });
    await waitFor(async () => {
      const pending = (await subject.engine.getRun(waiting.id))?.pending[0];
      return pending?.kind === 'call' && pending.attempt === 1;
    });
    const retry = (await subject.engine.getRun(waiting.id))!.pending[0]!;
    expect(retry.dueAt - clock.now()).toBe(30_000);
    await clock.advance(30_000);
    expect((await subject.engine.waitForRun({ runId: waiting.id })).output).toBe('done');
  });

  it('cancels a run on a matching cancelOn event', async () => {
    const t = ticket();
    const { ids } = await subject.inngest.send({ name: 'conf/cancellable', data: { ticket: t } });
    const sleeping = await subject.engine.waitForRun({ eventId: ids[0], status: 'running' });
    await waitFor(async () => (await subject.engine.getRun(sleeping.id))?.pending[0]?.kind === 'sleep');
    await subject.inngest.send({ name: 'conf/cancel', data: { ticket: 'other' } });
    await subject.inngest.send({ name: 'conf/cancel', data: { ticket: t } });
    const cancelled = await subject.engine.waitForRun({ runId: sleeping.id });
    expect(cancelled.status).toBe('cancelled');
    await clock.advance(2 * 86_400_000);
    expect(probe.count('cancellable-never')).toBe(0);
  });

  it('honours a concurrency limit per key', async () => {
    probe.inFlight.max = 0;
    const sent = await subject.inngest.send(
      Array.from({ length: 4 }, () => ({ name: 'conf/limited', data: { customer: 'c-1' } })),
    );
    await Promise.all(sent.ids.map((id) => subject.engine.waitForRun({ eventId: id })));
    expect(probe.inFlight.max).toBe(1);
  });

  it('fires cron triggers on the engine clock', async () => {
    const before = (await subject.engine.listRuns({ functionId: 'hourly' })).length;
    await clock.advance(HOUR);
    await waitFor(
      async () =>
        (await subject.engine.listRuns({ functionId: 'hourly', status: 'completed' })).length > before,
    );
    const runs = await subject.engine.listRuns({ functionId: 'hourly', status: 'completed' });
    expect(runs.at(-1)!.output).toBe('inngest/scheduled.timer');
  });

  it('serves the runs as JSON under /_engine to the holder of the inspection token', async () => {
    const result = await run('conf/three-steps', { input: 'http' });
    const inspect = async (path: string) =>
      (
        await fetch(`${subject.engine.baseUrl}${path}`, {
          headers: { authorization: `Bearer ${INSPECTION_TOKEN}` },
        })
      ).json();
    const list = (await inspect('/_engine/runs?functionId=three-steps&status=completed')) as {
      runs: Array<{ id: string }>;
    };
    expect(list.runs.map((r) => r.id)).toContain(result.id);
    const one = (await inspect(`/_engine/runs/${result.id}`)) as { output: string };
    expect(one.output).toBe('http-a-b-c');
  });
});
