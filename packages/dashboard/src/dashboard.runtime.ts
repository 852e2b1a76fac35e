import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { DashboardApi } from './dashboard.api';
import { DASHBOARD_RESOLVED_OPTIONS } from './dashboard.module-definition';
import type { ResolvedDashboardOptions } from './dashboard.options';
import { LiveHub } from './http/live-hub';
import { createRedactor } from './redaction';
import { DashboardSources } from './sources/dashboard-sources';
import { SagaIndex } from './sources/saga-index';
import type { SagaStateLike, SagaStateStoreLike, Unsubscribable } from './sources/source.types';

/**
 * @internal Wires the dashboard to the app once every provider exists: the saga list and the live
 * feed follow each saga save, the feed follows the event store's appends and the breakers'
 * transitions, and the list starts with the sagas the embedded engine already ran.
 */
@Injectable()
export class DashboardRuntime implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Dashboard');
  readonly index: SagaIndex;
  private api?: DashboardApi;
  private hub?: LiveHub;
  private unwatch: Array<() => void> = [];

  constructor(
    @Inject(DASHBOARD_RESOLVED_OPTIONS) readonly options: ResolvedDashboardOptions,
    private readonly sources: DashboardSources,
  ) {
    this.index = new SagaIndex(options.maxSagas);
  }

  /** The JSON API; available once the app has bootstrapped. */
  get apiOrNull(): DashboardApi | undefined {
    return this.api;
  }

  get live(): LiveHub | undefined {
    return this.hub;
  }

  onApplicationBootstrap(): void {
    const found = this.sources.get();
    const breakers = found.breakers;
    const redact = createRedactor(this.options.redact);
    this.hub = new LiveHub(breakers ? () => breakers.list() : undefined, redact);
    this.api = new DashboardApi(found, this.options, this.index, redact);
    if (found.sagas) this.unwatch.push(this.followSaves(found.sagas.store));
    const appended = found.eventStore?.onAppended?.((streams) => {
      this.api?.noteAppended(streams);
      this.hub?.streamsAppended(streams);
    });
    if (appended) this.unwatch.push(appended);
    if (breakers) {
      const subscription: Unsubscribable = breakers.stateChanges$.subscribe(() => this.hub?.breakerChanged());
      this.unwatch.push(() => subscription.unsubscribe());
    }
    void this.backfill().catch((error: Error) =>
      this.logger.warn(`Could not list the sagas the engine already ran: ${error.message}`),
    );
    const shown = Object.entries(this.api.overview().has)
      .filter(([, present]) => present)
      .map(([name]) => name);
    this.logger.log(`Dashboard at ${this.options.path} (${shown.join(', ') || 'nothing to show yet'})`);
  }

  onModuleDestroy(): void {
    for (const stop of this.unwatch) stop();
    this.unwatch = [];
    this.hub?.close();
  }

  /**
   * The state store has no change feed, so its `save` is wrapped on this instance: the saga goes on
   * exactly as before, and the summary is taken before the store is even called.
   */
  private followSaves(store: SagaStateStoreLike): () => void {
    const own = Object.hasOwn(store, 'save');
    const original = store.save;
    store.save = (state: SagaStateLike, options?: unknown) => {
      try {
        this.hub?.sagaChanged(this.index.fromState(state));
      } catch {
        // the dashboard must never break a saga
      }
      return original.call(store, state, options);
    };
    return () => {
      if (own) store.save = original;
      else delete (store as Partial<SagaStateStoreLike>).save;
    };
  }

  private async backfill(): Promise<void> {
    const { sagas, engine, inngest } = this.sources.get();
    if (!sagas || !engine) return;
    const appId = inngest?.client.id;
    for (const { definition } of sagas.registry.list()) {
      const runs = await engine.listRuns({ functionId: appId ? `${appId}-${definition.id}` : definition.id });
      for (const run of runs.slice(-this.options.maxSagas)) this.index.fromRun(definition, run);
    }
  }
}
