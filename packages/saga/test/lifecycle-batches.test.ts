import { describe, expect, it } from 'vitest';
import { MemorySagaStateStore, runSaga, type SagaDefinition, type SagaStepTools } from '../src';

/**
 * Two parallel members that each fail once, then succeed after a backoff, so each flushes its
 * queued events before its backoff; `first` is the member whose attempts settle first.
 */
async function batchesWhen(first: 'email' | 'sms'): Promise<Map<string, string[]>> {
  // The other member's attempts settle only once `first` has failed, backed off and succeeded,
  // and the saga has recorded it (a macrotask later: the runner's own work is all microtasks).
  let firstDone!: () => void;
  const firstSettled = new Promise<void>((resolve) => {
    firstDone = resolve;
  });
  const attempts = new Map<string, number>();
  const batches = new Map<string, string[]>();
  const step: SagaStepTools = {
    run: async (id, fn) => {
      if (!id.startsWith(first)) await firstSettled;
      const result = await fn();
      if (id === `${first}#2`) setTimeout(firstDone, 0);
      return result;
    },
    sleep: async () => {},
    waitForEvent: async () => null,
    sendEvent: async (id, events) => {
      const list = Array.isArray(events) ? events : [events];
      batches.set(
        id,
        list.map((event) => event.name + (event.data.stepId ? `:${event.data.stepId}` : '')),
      );
      return { ids: list.map((event) => event.id!) };
    },
  };
  const member = (id: string) => ({
    id,
    group: 'channels',
    retry: { attempts: 2, backoffMs: 1_000 },
    action: {
      kind: 'run' as const,
      run: () => {
        attempts.set(id, (attempts.get(id) ?? 0) + 1);
        if (attempts.get(id) === 1) throw new Error(`${id} flaked`);
        return id;
      },
    },
  });
  const definition: SagaDefinition = {
    id: 'notify',
    lifecycleEvents: 'all',
    steps: [member('email'), member('sms')],
  };
  const outcome = await runSaga(
    definition,
    { event: { name: 'order/paid', data: {} }, step, runId: 'run-1', logger: console as never },
    { stateStore: new MemorySagaStateStore() },
  );
  expect(outcome.status).toBe('completed');
  return batches;
}

describe('lifecycle event batches', () => {
  it('are named after their events, so a batch never takes another batch’s memoized place', async () => {
    // The members reach their backoffs in the opposite order in the two executions, as they can
    // on a replay: the first flush holds `saga/started`, the second the other member's completion.
    const emailFirst = await batchesWhen('email');
    const smsFirst = await batchesWhen('sms');
    expect([...emailFirst.values()]).toContainEqual(['saga/step.completed:email']);
    expect([...smsFirst.values()]).toContainEqual(['saga/step.completed:sms']);

    // A step id that both executions use must carry the same events in both; with a counter for
    // id, the second flush of each would share one id and differ in content.
    for (const [id, events] of emailFirst) {
      if (smsFirst.has(id)) expect(smsFirst.get(id), id).toEqual(events);
    }
  });
});
