import { Injectable, Logger } from '@nestjs/common';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { ALERT_KINDS, type AlertKind } from '../alerts/shop-alert';

/**
 * The shop's Prometheus metrics, in a registry of its own (not prom-client's global one), so two
 * apps in one process, as in the tests, never collide. The circuit breakers add theirs
 * (`circuit_breaker_state`, `circuit_breaker_calls_total`) to the same registry. The alerting
 * rules in `ops/prometheus/alerts.yml` are written against these names.
 */
@Injectable()
export class ShopMetrics {
  readonly registry = new Registry();

  readonly httpRequests = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by method, route and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly ordersPlaced = new Counter({
    name: 'shop_orders_placed_total',
    help: 'Orders accepted by POST /orders.',
    labelNames: ['tenant'] as const,
    registers: [this.registry],
  });

  readonly ordersFinished = new Counter({
    name: 'shop_orders_finished_total',
    help: 'Orders that reached a final state, by outcome (shipped, cancelled, failed) and reason.',
    labelNames: ['tenant', 'outcome', 'reason'] as const,
    registers: [this.registry],
  });

  readonly sagaDuration = new Histogram({
    name: 'shop_order_saga_duration_seconds',
    help: 'Time from order.created to the order reaching a final state (shipped, cancelled, failed).',
    labelNames: ['outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  // Counted in plain fields, handed to prom-client only when /metrics is scraped: an event costs a
  // map update, and every known saga has a series from the start (at 0), so `increase()` sees the
  // first failure instead of a series that appears already at 1.
  private readonly compensationFailureCounts = new Map<string, number>();
  private stalledSagaCounts = new Map<string, number>();
  private readonly alertDeliveryCounts = new Map<string, number>();
  private outboxBacklogQuery?: () => Promise<number>;

  readonly sagaCompensationFailures = new Counter({
    name: 'shop_saga_compensation_failures_total',
    help: 'Saga runs whose compensations failed for good, by saga: each left something undone for an operator.',
    labelNames: ['saga'] as const,
    registers: [this.registry],
    collect: () => {
      this.sagaCompensationFailures.reset();
      for (const [saga, count] of this.compensationFailureCounts)
        this.sagaCompensationFailures.inc({ saga }, count);
    },
  });

  readonly sagasStalled = new Gauge({
    name: 'shop_sagas_stalled',
    help: 'Running sagas with no progress for longer than SAGA_STALL_AFTER, by saga, as of the last stall scan.',
    labelNames: ['saga'] as const,
    registers: [this.registry],
    collect: () => {
      this.sagasStalled.reset();
      for (const [saga, count] of this.stalledSagaCounts) this.sagasStalled.set({ saga }, count);
    },
  });

  readonly alertDeliveries = new Counter({
    name: 'shop_alert_deliveries_total',
    help: 'Posts of alerts to ALERT_WEBHOOK_URL by kind and outcome (delivered, failed: retried by Inngest).',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
    collect: () => {
      this.alertDeliveries.reset();
      for (const kind of ALERT_KINDS) {
        for (const outcome of ['delivered', 'failed'] as const) {
          this.alertDeliveries.inc(
            { kind, outcome },
            this.alertDeliveryCounts.get(`${kind} ${outcome}`) ?? 0,
          );
        }
      }
    },
  });

  readonly outboxBacklog = new Gauge({
    name: 'shop_outbox_backlog',
    help: 'Events committed to the outbox and not yet accepted by Inngest (counted when scraped).',
    registers: [this.registry],
    collect: async () => {
      if (!this.outboxBacklogQuery) return;
      try {
        this.outboxBacklog.set(await this.outboxBacklogQuery());
      } catch (error) {
        // NaN (unknown) rather than a stale count; the database being down shows on /health
        this.outboxBacklog.set(Number.NaN);
        new Logger(ShopMetrics.name).warn(`Could not count the outbox backlog: ${(error as Error).message}`);
      }
    },
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Gives each saga its series at 0, so the alert rules see the first failure or stall. */
  knowSagas(sagaIds: Iterable<string>): void {
    for (const saga of sagaIds) {
      if (!this.compensationFailureCounts.has(saga)) this.compensationFailureCounts.set(saga, 0);
      if (!this.stalledSagaCounts.has(saga)) this.stalledSagaCounts.set(saga, 0);
    }
  }

  /** A saga run's compensations failed for good. */
  countCompensationFailure(saga: string): void {
    this.compensationFailureCounts.set(saga, (this.compensationFailureCounts.get(saga) ?? 0) + 1);
  }

  /** What the last stall scan found: stalled runs by saga (a saga left out has none). */
  setStalledSagas(stalled: Iterable<string>): void {
    const counts = new Map([...this.stalledSagaCounts.keys()].map((saga) => [saga, 0]));
    for (const saga of stalled) counts.set(saga, (counts.get(saga) ?? 0) + 1);
    this.stalledSagaCounts = counts;
  }

  /** One post of an alert to the webhook, and whether it went through. */
  countAlertDelivery(kind: AlertKind, outcome: 'delivered' | 'failed'): void {
    const key = `${kind} ${outcome}`;
    this.alertDeliveryCounts.set(key, (this.alertDeliveryCounts.get(key) ?? 0) + 1);
  }

  /** How `shop_outbox_backlog` is counted at scrape time (set once the database is up). */
  trackOutboxBacklog(count: () => Promise<number>): void {
    this.outboxBacklogQuery = count;
  }
}
