import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { EmbeddedEngine } from '@sagaline/embedded-engine';
import { INNGEST_EMBEDDED_ENGINE, type InngestContext, InngestFunction } from '@sagaline/nestjs-inngest';
import { SagaRegistry, SagaService } from '@sagaline/saga';
import type { ShopConfig } from '../config/shop-config';
import { SHOP_SETTINGS, type ShopSettings } from '../config/shop-config.provider';
import { ShopMetrics } from '../metrics/shop-metrics';
import { PiiCipher } from '../privacy/pii-cipher';
import { alertRaised, type ShopAlert } from './shop-alert';
import { stalledSagaAlert } from './stalled-saga';

/**
 * Finds the stalled sagas: the running runs of every saga come from the engine's run store
 * (PGlite or PostgreSQL, so a restart loses nothing), their progress from `SagaService` (the
 * states in the event store, saved only when the saga moves on).
 */
@Injectable()
export class StalledSagaFinder {
  private readonly logger = new Logger(StalledSagaFinder.name);

  constructor(
    @Inject(SHOP_SETTINGS) private readonly settings: ShopSettings,
    private readonly registry: SagaRegistry,
    private readonly sagas: SagaService,
    @Optional() @Inject(INNGEST_EMBEDDED_ENGINE) private readonly engine?: EmbeddedEngine,
    @Optional() @Inject(PiiCipher) private readonly cipher?: PiiCipher,
  ) {}

  /**
   * A step output as the saga returned it: the shop's encryption middleware stores each one as
   * `{ __ENCRYPTED__: true, data: <sealed> }`, opened here with the shop's own key.
   */
  private readonly readOutput = (output: unknown): unknown => {
    const sealed = output as { __ENCRYPTED__?: unknown; data?: unknown } | undefined;
    if (sealed?.__ENCRYPTED__ !== true || !this.cipher || !PiiCipher.isSealed(sealed.data)) return output;
    try {
      return this.cipher.open(sealed.data);
    } catch {
      return output; // sealed with another key: only the count of attempts is known
    }
  };

  /** An alert for each saga stalled at `now`. */
  async find(now = Date.now()): Promise<ShopAlert[]> {
    if (!this.engine) {
      this.logger.warn(
        'No embedded engine: the stall scan lists running sagas from its run store, so it finds none.',
      );
      return [];
    }
    const alerts: ShopAlert[] = [];
    for (const { definition } of this.registry.list()) {
      const runs = await this.engine.listRuns({ functionId: definition.id, status: 'running' });
      for (const run of runs) {
        const state = await this.sagas.getState(run.id);
        if (!state) continue; // not started its first step yet
        const alert = stalledSagaAlert(state, {
          definition,
          timeline: run.timeline,
          readOutput: this.readOutput,
          now,
          stallAfterMs: this.settings.sagaStallAfterMs,
        });
        if (alert) alerts.push(alert);
      }
    }
    return alerts;
  }
}

/**
 * The stall scan: an Inngest cron function (`SAGA_STALL_SCAN`, every minute by default), so it is
 * durable and runs once per firing however many processes serve the app; a firing while the last
 * scan still runs is skipped. It sets `shop_sagas_stalled` and raises one alert per stall (the
 * event id is the alert's key, so later scans seeing the same stall raise nothing new).
 *
 * Built by a function because the schedule is configuration and decorator options are fixed when
 * a class is declared (as `createBackorderSaga`).
 */
export function createSagaStallScan(config: Pick<ShopConfig, 'sagaStallScan'>) {
  @Injectable()
  class SagaStallScan {
    constructor(
      readonly finder: StalledSagaFinder,
      readonly metrics: ShopMetrics,
    ) {}

    @InngestFunction({
      id: 'saga-stall-scan',
      triggers: [{ cron: config.sagaStallScan }],
      singleton: { mode: 'skip' },
    })
    async scan({ step }: InngestContext) {
      const alerts = await step.run('find-stalled-sagas', async () => {
        const found = await this.finder.find();
        this.metrics.setStalledSagas(found.map((alert) => alert.sagaId));
        return found;
      });
      if (alerts.length > 0) await step.sendEvent('raise-alerts', alerts.map(alertRaised));
      return { stalled: alerts.map((alert) => alert.dedupeKey) };
    }
  }
  return SagaStallScan;
}
