import { pageOf } from './paging';
import type { RunLike, SagaDefinitionLike, SagaStateLike } from './source.types';

/** One saga instance in the list. */
export interface SagaSummary {
  /** The run id (the saga instance). */
  runId: string;
  /** The saga id. */
  sagaId: string;
  /** The business key, when the saga has one. */
  businessKey?: string;
  /** `running`, `compensating`, `completed`, `compensated`, `compensation_failed`, `cancelled`, `stalled` or `failed`. */
  status: string;
  /** The step it is at, while it runs. */
  step?: string;
  /** Steps completed so far. */
  completedSteps: number;
  /** When it started (ms since the epoch). */
  startedAt: number;
  /** When it last changed. */
  updatedAt: number;
}

/** A page of the saga list. */
export interface SagaPage {
  items: SagaSummary[];
  /** Matches of the filter in all. */
  total: number;
  page: number;
  size: number;
  /** Instances per status among those that match `sagaId` and `q`, whatever `status` asks (for the tabs). */
  counts: Record<string, number>;
}

/** What the list can be filtered by. */
export interface SagaQuery {
  status?: string;
  sagaId?: string;
  /** A business key or run id, exact or as a prefix. */
  q?: string;
  page?: number;
  size?: number;
}

/**
 * @internal The sagas the list shows, newest first, in memory: fed by every saga save in this
 * process and, at start-up, by the embedded engine's runs. Bounded: the oldest go first.
 */
export class SagaIndex {
  private readonly byRun = new Map<string, SagaSummary>();
  private sorted: SagaSummary[] | null = null;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.byRun.size;
  }

  /** Adds or updates an instance from its state; returns the summary. */
  fromState(state: SagaStateLike): SagaSummary {
    const completed = state.completedSteps.length;
    const running = state.startedSteps.find((id) => !state.completedSteps.includes(id));
    return this.put({
      runId: state.runId,
      sagaId: state.sagaId,
      ...(state.businessKey === undefined ? {} : { businessKey: String(state.businessKey) }),
      status: state.status,
      // set even when undefined, so that an update clears the step of an instance that has ended
      step: running && (state.status === 'running' || state.status === 'compensating') ? running : undefined,
      completedSteps: completed,
      startedAt: state.startedAt,
      updatedAt: state.updatedAt,
    });
  }

  /** Adds an instance known only from its run (start-up); a summary from a state wins. */
  fromRun(definition: SagaDefinitionLike, run: RunLike): void {
    if (this.byRun.has(run.id)) return;
    const outcome = run.output as { status?: string; completedSteps?: string[] } | undefined;
    const status =
      run.status === 'completed'
        ? (outcome?.status ?? 'completed')
        : run.status === 'running'
          ? 'running'
          : run.status;
    let businessKey: string | undefined;
    try {
      businessKey = definition.businessKey?.(run.event);
    } catch {
      // an event the key function cannot read has no key
    }
    this.put({
      runId: run.id,
      sagaId: definition.id,
      ...(businessKey === undefined ? {} : { businessKey: String(businessKey) }),
      status,
      completedSteps: outcome?.completedSteps?.length ?? 0,
      startedAt: run.createdAt,
      updatedAt: run.endedAt ?? run.createdAt,
    });
  }

  get(runId: string): SagaSummary | undefined {
    return this.byRun.get(runId);
  }

  query(query: SagaQuery): SagaPage {
    const counts: Record<string, number> = {};
    const q = query.q?.trim();
    const matches: SagaSummary[] = [];
    for (const saga of this.newestFirst()) {
      if (query.sagaId && saga.sagaId !== query.sagaId) continue;
      if (q && !(saga.runId.startsWith(q) || saga.businessKey?.startsWith(q))) continue;
      counts[saga.status] = (counts[saga.status] ?? 0) + 1;
      if (query.status && saga.status !== query.status) continue;
      matches.push(saga);
    }
    return { ...pageOf(matches, query, 25), counts };
  }

  private put(summary: SagaSummary): SagaSummary {
    const known = this.byRun.get(summary.runId);
    if (!known || known.startedAt !== summary.startedAt) this.sorted = null;
    this.byRun.set(summary.runId, known ? Object.assign(known, summary) : summary);
    // trimmed in bulk, so that a full index does not sort on every new saga
    if (this.byRun.size > this.max + Math.ceil(this.max / 10)) this.dropOldest();
    return this.byRun.get(summary.runId)!;
  }

  private dropOldest(): void {
    const oldest = this.newestFirst().slice(this.max);
    for (const saga of oldest) this.byRun.delete(saga.runId);
    this.sorted = null;
  }

  private newestFirst(): SagaSummary[] {
    this.sorted ??= [...this.byRun.values()].sort(
      (a, b) => b.startedAt - a.startedAt || (a.runId < b.runId ? 1 : -1),
    );
    return this.sorted;
  }
}
