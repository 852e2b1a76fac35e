import { Injectable } from '@nestjs/common';
import { type InngestContext, InngestFunction } from '@sagaline/nestjs-inngest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../src';
import { type EmbeddedApp, startEmbeddedApp } from './support/embedded-app';
import { GatedStore } from './support/gated-store';
import { waitFor } from './support/wait-for';

@Injectable()
class Orders {
  @InngestFunction({ id: 'place', triggers: { event: 'durable/placed' } })
  async place({ event, step }: InngestContext) {
    const a = await step.run('reserve', () => `${event.data.n}-reserved`);
    const b = await step.run('charge', () => `${a}-charged`);
    await step.sendEvent('announce', { name: 'durable/announced', data: { n: event.data.n } });
    return step.run('ship', () => `${b}-shipped`);
  }

  @InngestFunction({ id: 'announce', triggers: { event: 'durable/announced' } })
  async announce({ event }: InngestContext) {
    return event.data.n;
  }
}

describe('accepting is storing', () => {
  let subject: EmbeddedApp;
  let store: GatedStore;

  beforeAll(async () => {
    store = new GatedStore();
    subject = await startEmbeddedApp('express', [Orders], { store, retryBackoffScale: 0 }, 'durable');
  });
  afterAll(async () => {
    store.open();
    await subject?.close();
  });

  const post = (events: unknown[]) =>
    fetch(`${subject.engine.baseUrl}/e/${subject.engine.eventKey}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(events),
    });

  it('answers the event API only once the event and the runs it starts are stored, in one batch', async () => {
    store.hold();
    let answered = false;
    const answer = post([{ name: 'durable/placed', id: 'held-1', data: { n: 1 } }]).then((response) => {
      answered = true;
      return response;
    });
    await waitFor(async () => store.batches.some((batch) => batch.events.some((e) => e.id === 'held-1')));
    const batch = store.batches.find((b) => b.events.some((e) => e.id === 'held-1'))!;
    expect(batch.runs.map(({ head }) => [head.functionId, head.event.id])).toContainEqual([
      'durable-place',
      'held-1',
    ]);
    expect(answered).toBe(false);
    expect(await store.knownEvents(['held-1'])).toEqual(new Set());
    expect(await subject.engine.listRuns({ eventId: 'held-1' })).toEqual([]);

    store.open();
    const response = await answer;
    expect(response.status).toBe(200);
    expect(await store.knownEvents(['held-1'])).toEqual(new Set(['held-1']));
    expect(await subject.engine.listRuns({ eventId: 'held-1' })).toHaveLength(1);
    expect((await subject.engine.waitForRun({ eventId: 'held-1' })).status).toBe('completed');
  });

  it('answers a duplicate of an event still being stored only once that one is stored, and runs it once', async () => {
    store.hold();
    const answers = [1, 2, 3].map(() => post([{ name: 'durable/placed', id: 'twice-1', data: { n: 2 } }]));
    await waitFor(async () => store.batches.some((batch) => batch.events.some((e) => e.id === 'twice-1')));
    const settled = await Promise.race([
      Promise.all(answers).then(() => 'answered'),
      Promise.resolve('waiting'),
    ]);
    expect(settled).toBe('waiting');
    store.open();
    expect((await Promise.all(answers)).map((response) => response.status)).toEqual([200, 200, 200]);
    await subject.engine.waitForRun({ eventId: 'twice-1' });
    expect(await subject.engine.listRuns({ eventId: 'twice-1' })).toHaveLength(1);
  });

  it('stores the event a step sends with the run it starts before the step sees its id', async () => {
    const { ids } = await subject.inngest.send({ name: 'durable/placed', data: { n: 3 } });
    const placed = await subject.engine.waitForRun({ eventId: ids[0] });
    const announceBatch = store.batches.find((batch) =>
      batch.events.some((event) => event.name === 'durable/announced' && event.data.n === 3),
    )!;
    const announcedId = announceBatch.events.find((event) => event.name === 'durable/announced')!.id;
    expect(announceBatch.runs.some(({ head }) => head.event.id === announcedId)).toBe(true);
    // the placing run's memo of the send step came later, in another batch
    expect(placed.timeline.find((step) => step.name === 'announce')?.output).toEqual({ ids: [announcedId] });
  });

  it('looks up in the store only the event ids a sender gave, never one the engine just made', async () => {
    const before = store.lookups.length;
    const { ids } = await subject.inngest.send([
      { name: 'durable/placed', data: { n: 5 } },
      { name: 'durable/placed', id: 'given-5', data: { n: 5 } },
    ]);
    expect(store.lookups.slice(before)).toEqual([['given-5']]);
    const runs = await Promise.all(ids.map((id) => subject.engine.waitForRun({ eventId: id })));
    expect(runs.map((run) => run.status)).toEqual(['completed', 'completed']);
  });

  it('never shows a state older than one waitForRun already reported (read-your-writes)', async () => {
    const sent = await Promise.all(
      Array.from({ length: 8 }, (_, n) =>
        subject.inngest.send({ name: 'durable/placed', data: { n: 10 + n } }),
      ),
    );
    const reported = await Promise.all(sent.map(({ ids }) => subject.engine.waitForRun({ eventId: ids[0] })));
    for (const run of reported) {
      const read = (await subject.engine.getRun(run.id)) as RunRecord;
      expect(read.status).toBe('completed');
      expect(read).toEqual(run);
      const listed = await subject.engine.listRuns({ eventId: run.event.id });
      expect(listed).toEqual([run]);
    }
  });

  it('sends no Call Request for a run whose state is not yet stored', async () => {
    store.hold();
    const before = store.batches.length;
    const sending = subject.engine.send({ name: 'durable/placed', id: 'unsent-1', data: { n: 4 } });
    await waitFor(async () => store.batches.length > before);
    // held: the run exists in memory only, so the app must not have been asked to run it
    const memory = (subject.engine as unknown as { active: Map<string, RunRecord> }).active;
    const run = [...memory.values()].find((r) => r.event.id === 'unsent-1')!;
    expect(run.pending).toEqual([expect.objectContaining({ kind: 'call', stepId: 'step' })]);
    expect(run.pending[0]).not.toHaveProperty('startedAt');
    store.open();
    await sending;
    expect((await subject.engine.waitForRun({ eventId: 'unsent-1' })).output).toBe(
      '4-reserved-charged-shipped',
    );
  });
});
