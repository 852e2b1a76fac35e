import { createHash } from 'node:crypto';
import type { SagaState, SagaStateStore } from './saga.state';

/**
 * The part of `@sagaline/event-store`'s `EventStore` the saga states need; typed here so the saga
 * package does not depend on the event store.
 */
export interface SagaEventStoreLike {
  appendToStream(
    streamId: string,
    events: Array<{ id: string; type: string; data: unknown }>,
  ): Promise<unknown>;
  readStream(
    streamId: string,
    options?: { direction?: 'forward' | 'backward'; maxCount?: number },
  ): Promise<{ events: Array<{ data: unknown }> }>;
}

/** The event type of a saga state snapshot in the event store. */
export const SAGA_STATE_EVENT = 'saga.state';

/** Runs whose saved progress is remembered (the least recently saved are forgotten first). */
const MEMOIZED_RUNS = 10_000;

/**
 * Saga states kept in the event store: every change is an event in the stream `saga-<runId>`
 * (the last one is the state), and each business key has a stream of the runs it started.
 * `SagaModule` uses it by default when `EventStoreModule` is in the app.
 *
 * The saga saves its state on every replay of its function, so each snapshot's event id is made
 * from the saga's progress: a replay writes nothing new, and a real change always does.
 */
export class EventStoreSagaStateStore implements SagaStateStore {
  /**
   * The progress snapshots saved per run. Each replay of the function passes through every
   * earlier progress again and saves it; with this, those saves cost no round trip instead of
   * one each (quadratic in the steps). Only an optimisation: on a miss (another process, or the
   * run forgotten) the append is a replay and stores nothing.
   */
  private readonly saved = new Map<string, Set<string>>();

  constructor(private readonly store: SagaEventStoreLike) {}

  async save(state: SagaState): Promise<void> {
    const progress = createHash('sha256')
      .update(
        JSON.stringify([
          state.status,
          state.startedSteps,
          state.completedSteps,
          state.compensatedSteps,
          state.compensationFailures.length,
        ]),
      )
      .digest('hex')
      .slice(0, 32);
    const saved = this.saved.get(state.runId);
    if (saved?.has(progress)) return;
    await this.store.appendToStream(`saga-${state.runId}`, [
      { id: `saga-state:${state.runId}:${progress}`, type: SAGA_STATE_EVENT, data: state },
    ]);
    // once per run and process: a run already remembered is in its business key's stream
    if (saved === undefined && state.businessKey !== undefined) {
      await this.store.appendToStream(businessKeyStream(state.sagaId, state.businessKey), [
        { id: `saga-run:${state.runId}`, type: 'saga.run', data: { runId: state.runId } },
      ]);
    }
    // remembered only once both appends are stored, so a failed one is tried again next time
    this.remember(state.runId, progress, saved);
  }

  private remember(runId: string, progress: string, saved = new Set<string>()): void {
    this.saved.delete(runId); // re-inserted last: the map's order is the order of use
    this.saved.set(runId, saved.add(progress));
    if (this.saved.size > MEMOIZED_RUNS) this.saved.delete(this.saved.keys().next().value as string);
  }

  async get(runId: string): Promise<SagaState | undefined> {
    const { events } = await this.store.readStream(`saga-${runId}`, { direction: 'backward', maxCount: 1 });
    return events[0]?.data as SagaState | undefined;
  }

  async findByBusinessKey(sagaId: string, businessKey: string): Promise<SagaState[]> {
    const { events } = await this.store.readStream(businessKeyStream(sagaId, businessKey));
    const states = await Promise.all(
      events.map((event) => this.get((event.data as { runId: string }).runId)),
    );
    return states.filter((state): state is SagaState => state !== undefined);
  }
}

function businessKeyStream(sagaId: string, businessKey: string): string {
  return `saga-${sagaId}-by-key-${businessKey}`;
}
