import { InngestTestEngine } from '@inngest/test';
import { Inngest } from 'inngest';
import { describe, expect, it } from 'vitest';
import {
  MemorySagaStateStore,
  runSaga,
  SAGA_UNKNOWN_OUTPUT,
  type SagaDefinition,
  SagaDefinitionError,
  type SagaState,
} from '../src';

/** The events the saga sends, recorded where the SDK would POST them to Inngest's event API. */
const sent: Array<{ name: string; id: string }> = [];
const client = new Inngest({
  id: 'unit',
  isDev: true,
  fetch: (async (_url: string, init: RequestInit) => {
    const events = JSON.parse(String(init.body)) as Array<{ name: string; id: string }>;
    sent.push(...events.map(({ name, id }) => ({ name, id })));
    return Response.json({ ids: events.map((event) => event.id), status: 200 });
  }) as typeof fetch,
});

function sagaFunction(definition: SagaDefinition, stateStore = new MemorySagaStateStore()) {
  return client.createFunction({ id: definition.id, triggers: [{ event: 'unit/start' }] }, (ctx) =>
    runSaga(definition, ctx as never, { stateStore }),
  );
}

const step = (
  id: string,
  log: string[],
  options: {
    fail?: boolean;
    compensate?: boolean;
    group?: string;
    pivot?: boolean;
    compensateOnFailure?: boolean;
  } = {},
) => ({
  id,
  group: options.group,
  pivot: options.pivot,
  compensateOnFailure: options.compensateOnFailure,
  retry: { attempts: 1 },
  action: {
    kind: 'run' as const,
    run: () => {
      log.push(id);
      if (options.fail) throw new Error(`${id} failed`);
      return `${id}-out`;
    },
  },
  ...(options.compensate === false
    ? {}
    : {
        compensate: (_ctx: unknown, output: unknown) =>
          void log.push(`undo-${id}(${output === SAGA_UNKNOWN_OUTPUT ? '?' : String(output)})`),
      }),
});

describe('runSaga, unit-tested with @inngest/test', () => {
  it('compensates in reverse order of start, passing each step its output', async () => {
    sent.length = 0;
    const log: string[] = [];
    const fn = sagaFunction({
      id: 'order',
      steps: [step('a', log), step('b', log), step('c', log, { fail: true })],
    });
    const { result } = await new InngestTestEngine({
      function: fn,
      events: [{ name: 'unit/start', data: {} }],
    }).execute();
    expect(result).toMatchObject({
      status: 'compensated',
      completedSteps: ['a', 'b'],
      compensatedSteps: ['c', 'b', 'a'],
    });
    expect(log).toEqual(['a', 'b', 'c', 'undo-c(?)', 'undo-b(b-out)', 'undo-a(a-out)']);
    // only the unhappy path's events, each sent once
    expect(sent.map((event) => event.name)).toEqual(['saga/compensating', 'saga/compensated']);
  });

  it('goes on compensating when the progress of a compensation cannot be stored', async () => {
    const log: string[] = [];
    /** A store that takes the saga's outcome but not a compensation's progress on the way. */
    class RefusingProgress extends MemorySagaStateStore {
      override async save(state: SagaState): Promise<void> {
        if (state.status === 'compensating' && state.compensatedSteps.length > 0) {
          throw new Error('database failing over');
        }
        return super.save(state);
      }
    }
    const store = new RefusingProgress();
    const fn = sagaFunction(
      { id: 'refused-progress', steps: [step('a', log), step('b', log), step('c', log, { fail: true })] },
      store,
    );
    const { result } = await new InngestTestEngine({
      function: fn,
      events: [{ name: 'unit/start', data: {} }],
    }).execute();
    expect(result).toMatchObject({ status: 'compensated', compensatedSteps: ['c', 'b', 'a'] });
    expect(log).toEqual(['a', 'b', 'c', 'undo-c(?)', 'undo-b(b-out)', 'undo-a(a-out)']);
  });

  it('skips the compensation of a failed step that opted out, and of steps never started', async () => {
    const log: string[] = [];
    const fn = sagaFunction({
      id: 'skip',
      steps: [step('a', log), step('b', log, { fail: true, compensateOnFailure: false }), step('c', log)],
    });
    const { result } = await new InngestTestEngine({
      function: fn,
      events: [{ name: 'unit/start', data: {} }],
    }).execute();
    expect(result).toMatchObject({ status: 'compensated', compensatedSteps: ['a'] });
    expect(log).toEqual(['a', 'b', 'undo-a(a-out)']);
  });

  it('runs a parallel group together and compensates its started members', async () => {
    const log: string[] = [];
    const fn = sagaFunction({
      id: 'par',
      steps: [
        step('a', log),
        step('x', log, { group: 'g' }),
        step('y', log, { group: 'g', fail: true }),
        step('z', log),
      ],
    });
    const { result } = await new InngestTestEngine({
      function: fn,
      events: [{ name: 'unit/start', data: {} }],
    }).execute();
    // @inngest/test may call parallel step callbacks more than once, so the order is read from the
    // outcome; exactly-once on a real executor is proven by the integration tests.
    expect(result).toMatchObject({
      status: 'compensated',
      compensatedSteps: ['y', 'x', 'a'],
      failure: { stepId: 'y' },
    });
    expect(log).not.toContain('z');
  });

  it('never compensates steps before a completed pivot', async () => {
    const log: string[] = [];
    const fn = sagaFunction({
      id: 'pivot',
      operatorTimeout: '1s',
      steps: [
        step('a', log),
        step('p', log, { pivot: true, compensate: false }),
        step('b', log, { fail: true, compensate: false }),
      ],
    });
    const { ctx } = await new InngestTestEngine({
      function: fn,
      events: [{ name: 'unit/start', data: {} }],
    }).executeStep('saga:operator-retry:1');
    expect(ctx.step.waitForEvent).toHaveBeenCalledWith(
      'saga:operator-retry:1',
      expect.objectContaining({ event: 'saga/retry' }),
    );
    expect(log).toEqual(['a', 'p', 'b']);
  });

  it('refuses a hand-made definition it cannot run as documented, before any step', async () => {
    const log: string[] = [];
    const duplicate = { id: 'dup', steps: [step('a', log), step('a', log)] };
    const input = { event: { name: 'unit/start', data: {} }, runId: 'r', logger: console } as never;
    await expect(runSaga(duplicate, input)).rejects.toThrow(SagaDefinitionError);
    await expect(runSaga(duplicate, input)).rejects.toThrow('Saga "dup": step id "a" is declared twice.');
    const late = { id: 'late', steps: [step('pay', log, { pivot: true }), step('ship', log)] };
    await expect(runSaga(late, input)).rejects.toThrow('step "ship" comes after the pivot "pay"');
    await expect(runSaga({ id: 'empty', steps: [] }, input)).rejects.toThrow(
      'Saga "empty": it has no steps; a saga needs at least one step.',
    );
    await expect(runSaga({ id: 'clash', steps: [step('saga:x', log)] }, input)).rejects.toThrow(
      'Saga "clash": the step id "saga:x" looks like an id the saga gives its own steps',
    );
    expect(log).toEqual([]);
  });

  it('sends its events without the extra fields when lifecycleEventData throws, and says why', async () => {
    sent.length = 0;
    const log: string[] = [];
    const warnings: string[] = [];
    const fn = client.createFunction({ id: 'bad-data', triggers: [{ event: 'unit/start' }] }, (ctx) =>
      runSaga(
        {
          id: 'bad-data',
          lifecycleEventData: () => {
            throw new Error('no tenant on this event');
          },
          steps: [step('a', log), step('b', log, { fail: true })],
        },
        {
          ...(ctx as never as object),
          logger: { ...ctx.logger, warn: (m: string) => warnings.push(m) },
        } as never,
        { stateStore: new MemorySagaStateStore() },
      ),
    );
    const { result } = await new InngestTestEngine({
      function: fn,
      events: [{ name: 'unit/start', data: {} }],
    }).execute();
    // the compensations still ran, and the failure events went out
    expect(result).toMatchObject({ status: 'compensated', compensatedSteps: ['b', 'a'] });
    expect(sent.map((event) => event.name)).toEqual(['saga/compensating', 'saga/compensated']);
    expect(warnings[0]).toBe(
      'Saga "bad-data": lifecycleEventData threw (no tenant on this event); its events go out without those fields.',
    );
  });
});
