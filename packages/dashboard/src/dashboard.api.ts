import { HttpAnswer } from './dashboard.answer';
import type { ResolvedDashboardOptions } from './dashboard.options';
import type { FoundSources } from './sources/dashboard-sources';
import { InngestRestRuns } from './sources/inngest-rest-runs';
import { pageOf } from './sources/paging';
import type { SagaIndex, SagaQuery } from './sources/saga-index';
import { buildSagaView } from './sources/saga-view';
import type { AppendedStreamLike, EngineLike, RunLike, SagaStateLike } from './sources/source.types';
import { runningSubscriptions, StreamIndex } from './sources/stream-index';

const RUN_STATUSES = ['running', 'completed', 'failed', 'cancelled'];
/** The most events a stream's page shows: its latest, unless it asks from a version. */
const STREAM_PAGE = 100;
/** The most events read of each business-key stream: its latest. */
const BUSINESS_KEY_EVENTS = 200;

/**
 * @internal What the dashboard's JSON API answers, free of HTTP: each method reads the app's
 * sources and returns plain data, redacted.
 */
export class DashboardApi {
  private readonly streams?: StreamIndex;
  /** Where runs are read: the embedded engine, else Inngest's REST API when configured. */
  private readonly runSource?: EngineLike;

  constructor(
    private readonly sources: FoundSources,
    private readonly options: ResolvedDashboardOptions,
    private readonly index: SagaIndex,
    private readonly redact: (value: unknown) => unknown,
  ) {
    if (sources.eventStore) this.streams = new StreamIndex(sources.eventStore);
    this.runSource =
      sources.engine ?? (options.inngestApi ? new InngestRestRuns(options.inngestApi) : undefined);
  }

  overview() {
    const { sagas, breakers, engine, eventStore, inngest } = this.sources;
    return {
      title: this.options.title,
      actions: this.options.actions,
      has: {
        sagas: Boolean(sagas),
        breakers: Boolean(breakers),
        runs: Boolean(this.runSource),
        eventStore: Boolean(eventStore),
      },
      inngestMode: inngest?.mode ?? null,
      // Inngest's REST API reads a run by id, but has no list of them all
      runList: Boolean(engine),
      eventStoreAdapter: eventStore?.adapter ?? null,
      sagaIds: sagas?.registry.list().map((saga) => saga.definition.id) ?? [],
      functions: inngest?.functions.map((fn) => fn.id) ?? [],
    };
  }

  sagas(query: SagaQuery) {
    return this.redact(this.index.query(query)) as ReturnType<SagaIndex['query']>;
  }

  async saga(runId: string) {
    const sagas = this.need('sagas');
    const state = await sagas.store.get(runId);
    if (!state) throw new HttpAnswer(404, `No saga has run id ${runId} (or its state is no longer kept).`);
    this.index.fromState(state);
    const definition = sagas.registry.get(state.sagaId)?.definition;
    const engine = this.sources.engine;
    const appId = this.sources.inngest?.client.id;
    let runError: string | undefined;
    const [run, companion] = this.runSource
      ? await Promise.all([
          // the saga's own state is here: a run source that fails (Inngest's API busy or down) costs only the run
          this.runSource.getRun(runId).catch((error: Error) => {
            runError = `Could not read its run: ${error.message}`;
            return undefined;
          }),
          appId && engine
            ? engine
                .listRuns({
                  functionId: `${appId}-${state.sagaId}-cancellation`,
                  eventId: `cancelled-${runId}`,
                })
                .then((runs) => runs[0])
            : undefined,
        ])
      : [undefined, undefined];
    const view = buildSagaView(state, definition, run, companion);
    return this.redact({
      ...view,
      ...(runError ? { runError } : {}),
      definition: definition
        ? {
            steps: definition.steps.map((step) => ({
              id: step.id,
              action: step.action.kind,
              compensable: typeof step.compensate === 'function',
              ...(step.pivot ? { pivot: true } : {}),
              ...(step.group ? { group: step.group } : {}),
            })),
          }
        : null,
      cancellable: this.options.actions.cancelSaga && Boolean(this.cancelEventOf(state)) && isActive(state),
      businessKeyEvents: await this.businessKeyEvents(state),
    });
  }

  async runs(query: { functionId?: string; status?: string; page?: number; size?: number }) {
    const engine = this.needRuns();
    const status = query.status && RUN_STATUSES.includes(query.status) ? query.status : undefined;
    const runs = await engine.listRuns({
      ...(query.functionId ? { functionId: query.functionId } : {}),
      ...(status ? { status } : {}),
    });
    runs.sort((a, b) => b.createdAt - a.createdAt);
    const page = pageOf(runs, query, 25);
    return { ...page, items: page.items.map(runSummary) };
  }

  async run(runId: string) {
    const run = await this.needRuns().getRun(runId);
    if (!run) throw new HttpAnswer(404, `No run has id ${runId}.`);
    const sagaId = this.sagaIdOf(run);
    return this.redact({
      ...runSummary(run),
      event: run.event,
      output: run.output,
      error: run.error ? { name: run.error.name, message: run.error.message } : undefined,
      timeline: run.timeline,
      pending: run.pending,
      sagaRunId: sagaId ? run.id : undefined,
    });
  }

  breakers() {
    const breakers = this.need('breakers');
    return { items: breakers.list(), now: Date.now(), actions: this.options.actions.controlBreakers };
  }

  async streamList(query: { category?: string; tenantId?: string; q?: string; page?: number }) {
    const streams = this.need('eventStore') && this.streams!;
    await streams.refresh();
    return streams.list(query);
  }

  /**
   * A stream's last 100 events, or as many from version `from` on; either way in
   * ascending version order. `version` is its length, so the page can say when it shows only part.
   */
  async stream(streamId: string, tenantId: string | undefined, from: number | undefined) {
    const store = this.need('eventStore');
    const result = await store.readStream(streamId, {
      ...(tenantId ? { tenantId } : {}),
      direction: from ? 'forward' : 'backward',
      ...(from ? { from } : {}),
      maxCount: STREAM_PAGE,
    });
    const events = from ? result.events : result.events.reverse();
    return this.redact({
      streamId,
      tenantId: tenantId ?? null,
      version: result.version,
      exists: result.exists,
      events: events.map((event) => ({
        id: event.id,
        type: event.type,
        version: event.streamVersion,
        position: event.globalPosition,
        at: new Date(event.timestamp).toISOString(),
        data: event.data,
        metadata: event.metadata,
      })),
    });
  }

  /** The event store's appends of this process, so that the stream list shows them at once. */
  noteAppended(streams: AppendedStreamLike[]): void {
    this.streams?.noteAppended(streams);
  }

  async subscriptions() {
    const store = this.need('eventStore');
    return { items: await this.streams!.subscriptions(runningSubscriptions(store)) };
  }

  /** Cancels a saga by sending the event its `cancelOn` waits for. */
  async cancelSaga(runId: string) {
    if (!this.options.actions.cancelSaga)
      throw new HttpAnswer(403, 'Cancelling sagas is not enabled: set actions: { cancelSaga: true }.');
    const state = await this.need('sagas').store.get(runId);
    if (!state) throw new HttpAnswer(404, `No saga has run id ${runId}.`);
    if (!isActive(state)) throw new HttpAnswer(409, `Saga ${runId} has already ended (${state.status}).`);
    const event = this.cancelEventOf(state);
    if (!event)
      throw new HttpAnswer(
        409,
        `Saga ${state.sagaId} declares no cancelOn event with a match, so it cannot be cancelled from here.`,
      );
    const { ids } = await this.sources.inngest!.send(event);
    return { sent: event.name, ids };
  }

  async controlBreaker(name: string, to: string) {
    if (!this.options.actions.controlBreakers)
      throw new HttpAnswer(
        403,
        'Controlling breakers is not enabled: set actions: { controlBreakers: true }.',
      );
    const breakers = this.need('breakers');
    if (!breakers.list().some((breaker) => breaker.name === name))
      throw new HttpAnswer(404, `No breaker is named ${JSON.stringify(name)}.`);
    if (to === 'open') await breakers.forceOpen(name);
    else if (to === 'closed') await breakers.forceClosed(name);
    else if (to === 'reset') await breakers.reset(name);
    else throw new HttpAnswer(400, '`to` must be open, closed or reset.');
    return breakers.list().find((breaker) => breaker.name === name);
  }

  /**
   * The event that cancels this instance: the saga function's `cancelOn` with a `match` such as
   * `data.orderId`, filled in from the instance's own triggering event.
   */
  private cancelEventOf(state: SagaStateLike): { name: string; data: Record<string, unknown> } | undefined {
    const fn = this.sources.inngest?.functions.find((candidate) => candidate.id === state.sagaId);
    const cancelOn = fn?.fn.opts?.cancelOn?.find(
      (candidate) => candidate.match?.startsWith('data.') && !candidate.if,
    );
    if (!cancelOn?.match) return undefined;
    const path = cancelOn.match.slice('data.'.length).split('.');
    const value = path.reduce<unknown>(
      (at, key) => (at as Record<string, unknown> | undefined)?.[key],
      state.event.data,
    );
    if (value === undefined) return undefined;
    const data: Record<string, unknown> = {};
    let at = data;
    for (const key of path.slice(0, -1)) {
      const inner: Record<string, unknown> = {};
      at[key] = inner;
      at = inner;
    }
    at[path[path.length - 1]] = value;
    return { name: cancelOn.event, data };
  }

  private async businessKeyEvents(state: SagaStateLike) {
    const store = this.sources.eventStore;
    if (!store || state.businessKey === undefined) return [];
    const refs = this.options.businessKeyStreams({
      sagaId: state.sagaId,
      runId: state.runId,
      businessKey: String(state.businessKey),
      event: state.event,
    });
    const read = await Promise.all(
      refs.map(async (ref) => {
        const { events } = await store.readStream(ref.streamId, {
          ...(ref.tenantId ? { tenantId: ref.tenantId } : {}),
          direction: 'backward',
          maxCount: BUSINESS_KEY_EVENTS,
        });
        // back in version order, so that events of the same instant keep it through the stable sort
        return events.reverse().map((event) => ({
          streamId: event.streamId,
          tenantId: event.tenantId,
          type: event.type,
          version: event.streamVersion,
          at: new Date(event.timestamp).toISOString(),
          data: event.data,
        }));
      }),
    );
    return read.flat().sort((a, b) => a.at.localeCompare(b.at));
  }

  private sagaIdOf(run: RunLike): string | undefined {
    const appId = this.sources.inngest?.client.id;
    const id =
      appId && run.functionId.startsWith(`${appId}-`)
        ? run.functionId.slice(appId.length + 1)
        : run.functionId;
    return this.sources.sagas?.registry.get(id) ? id : undefined;
  }

  private needRuns(): EngineLike {
    if (!this.runSource)
      throw new HttpAnswer(
        404,
        'This app has no embedded engine, and no inngestApi option to read runs from Inngest.',
      );
    return this.runSource;
  }

  private need<K extends keyof FoundSources>(source: K): NonNullable<FoundSources[K]> {
    const found = this.sources[source];
    if (!found) throw new HttpAnswer(404, `This app has no ${SOURCE_NAMES[source]}.`);
    return found as NonNullable<FoundSources[K]>;
  }
}

const SOURCE_NAMES: Record<keyof FoundSources, string> = {
  sagas: 'SagaModule (@sagaline/saga)',
  breakers: 'CircuitBreakerModule (@sagaline/circuit-breaker)',
  engine: 'embedded engine (@sagaline/nestjs-inngest in embedded mode)',
  eventStore: 'EventStoreModule (@sagaline/event-store)',
  inngest: 'InngestModule (@sagaline/nestjs-inngest)',
};

const isActive = (state: SagaStateLike) => state.status === 'running' || state.status === 'compensating';

function runSummary(run: RunLike) {
  return {
    id: run.id,
    functionId: run.functionId,
    status: run.status,
    eventName: run.event.name,
    createdAt: run.createdAt,
    ...(run.endedAt ? { endedAt: run.endedAt } : {}),
    steps: run.timeline.length,
    waiting: run.pending.filter((work) => work.kind !== 'call').length,
  };
}
