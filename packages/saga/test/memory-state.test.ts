import { describe, expect, it } from 'vitest';
import { MemorySagaStateStore, type SagaState } from '../src';

const state = (runId: string, status: SagaState['status']): SagaState => ({
  sagaId: 'order',
  runId,
  businessKey: 'o1',
  status,
  startedSteps: [],
  completedSteps: [],
  compensatedSteps: [],
  results: {},
  compensationFailures: [],
  timings: {},
  startedAt: 0,
  updatedAt: 0,
  event: { name: 'order/created', data: {} },
});

describe('MemorySagaStateStore', () => {
  it('past maxStates, forgets ended sagas least recently updated first, before any running one', async () => {
    const store = new MemorySagaStateStore({ maxStates: 3 });
    await store.save(state('running-1', 'running'));
    await store.save(state('ended-1', 'completed'));
    await store.save(state('ended-2', 'compensated'));
    await store.save(state('ended-1', 'completed')); // updated again: now the most recent
    await store.save(state('running-2', 'compensating'));

    expect(await store.get('ended-2')).toBeUndefined();
    const kept = await store.findByBusinessKey('order', 'o1');
    expect(kept.map((s) => s.runId)).toEqual(['running-1', 'ended-1', 'running-2']);

    // with no ended saga left to forget, the least recently updated running one goes
    await store.save(state('ended-1', 'running'));
    await store.save(state('running-3', 'running'));
    const left = (await store.findByBusinessKey('order', 'o1')).map((s) => s.runId);
    expect(left.sort()).toEqual(['ended-1', 'running-2', 'running-3']);
  });

  it('hands out copies, so that a reader cannot change what it keeps', async () => {
    const store = new MemorySagaStateStore();
    await store.save(state('r1', 'running'));
    const read = await store.get('r1');
    read!.completedSteps.push('reserve');
    (await store.findByBusinessKey('order', 'o1'))[0]!.startedSteps.push('charge');
    expect(await store.get('r1')).toMatchObject({ completedSteps: [], startedSteps: [] });
  });
});
