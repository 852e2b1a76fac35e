import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { SagaRegistry } from '@sagaline/saga';
import type { Database } from '../database/database';
import { DATABASE } from '../database/database.module';
import { ShopMetrics } from '../metrics/shop-metrics';
import { backlog } from '../outbox/outbox';

/**
 * Readies the metrics the alerting rules read: a series at 0 for every saga (once the sagas are
 * discovered), and the outbox backlog counted at scrape time (one `count(*)` of a table that is
 * near empty while the relay keeps up).
 */
@Injectable()
export class AlertingMetrics implements OnApplicationBootstrap {
  constructor(
    private readonly metrics: ShopMetrics,
    private readonly registry: SagaRegistry,
    @Inject(DATABASE) private readonly db: Database,
  ) {}

  onApplicationBootstrap(): void {
    this.metrics.knowSagas(this.registry.list().map((saga) => saga.definition.id));
    this.metrics.trackOutboxBacklog(() => backlog(this.db));
  }
}
