import { Injectable } from '@nestjs/common';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * The shop's Prometheus metrics, in a registry of its own (not prom-client's global one), so two
 * apps in one process, as in the tests, never collide. The circuit breakers add theirs
 * (`circuit_breaker_state`, `circuit_breaker_calls_total`) to the same registry.
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

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
