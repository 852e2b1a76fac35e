import { Injectable } from '@nestjs/common';
import { type InngestContext, InngestFunction } from '@sagaline/nestjs-inngest';
import { SagaService } from '@sagaline/saga';
import type { CancellationReason } from '../domain/events';
import { OrderSteps, type PlacedOrder } from './order-steps';

/** The sagas of an order, by id. */
export const ORDER_SAGAS = ['order-processing', 'order-backorder'] as const;

const OF_AN_ORDER_SAGA = ORDER_SAGAS.map((id) => `event.data.sagaId == '${id}'`).join(' || ');

/** What each step failure means for the customer, by the failed step's error name. */
const REASONS: Record<string, CancellationReason> = {
  PaymentDeclinedError: 'payment_declined',
  FraudSuspectedError: 'fraud_suspected',
  ShipmentRejectedError: 'shipping_failed',
  SagaWaitTimeoutError: 'backorder_timeout',
  OrderCancelledError: 'customer_request',
};

/** The functions an order cancellation can stop, by their composite ids. */
const CANCELLABLE_FUNCTIONS = ['shop-order-intake', ...ORDER_SAGAS.map((id) => `shop-${id}`)];
const ONE_OF_THE_ORDER_FUNCTIONS = CANCELLABLE_FUNCTIONS.map(
  (id) => `event.data.function_id == '${id}'`,
).join(' || ');

/**
 * Records how an order's saga ended, from the saga's lifecycle events: compensated means
 * `cancelled` with the reason of the failed step, except a shortage found at reservation, which
 * hands the order to the backorder saga; cancelled means cancelled at the customer's request; a
 * failed compensation means `failed`, for an operator.
 */
@Injectable()
export class SagaOutcomes {
  constructor(
    private readonly sagas: SagaService,
    private readonly steps: OrderSteps,
  ) {}

  @InngestFunction({
    id: 'order-saga-outcomes',
    triggers: [
      { event: 'saga/compensated', if: OF_AN_ORDER_SAGA },
      { event: 'saga/cancelled', if: OF_AN_ORDER_SAGA },
      { event: 'saga/compensation.failed', if: OF_AN_ORDER_SAGA },
    ],
  })
  async record({
    event,
    step,
  }: InngestContext<'saga/compensated' | 'saga/cancelled' | 'saga/compensation.failed'>) {
    const state = await this.sagas.getState(event.data.runId);
    if (!state) return { skipped: `no state for saga run ${event.data.runId}` };
    const order = state.event.data as PlacedOrder;
    const failure = state.failure;
    switch (event.name) {
      case 'saga/cancelled':
        return step.run('cancel-order', () =>
          this.steps.cancel(order, 'customer_request', 'Cancelled on request.'),
        );
      case 'saga/compensation.failed': {
        const detail = state.compensationFailures.map((f) => `${f.stepId}: ${f.message}`).join('; ');
        return step.run('fail-order', () => this.steps.fail(order, `Compensation failed: ${detail}`));
      }
      default:
        if (failure?.name === 'OutOfStockError') {
          await step.run('recheck-inventory', () => this.steps.checkInventory(order, state.runId));
          return step.run('hand-to-backorder', () =>
            this.steps.handOver(order, 'order.backordered', state.runId),
          );
        }
        return step.run('cancel-order', () =>
          this.steps.cancel(
            order,
            REASONS[failure?.name ?? ''] ?? 'pipeline_error',
            failure?.message ?? 'unknown',
          ),
        );
    }
  }

  /**
   * A cancelled run whose saga has a state is compensated by `@sagaline/saga`, which then sends
   * `saga/cancelled`. The intake, or a saga cancelled before its first step, has none: the order is
   * cancelled here (undoing whatever earlier sagas of the order left).
   */
  @InngestFunction({
    id: 'order-cancelled-early',
    triggers: [{ event: 'inngest/function.cancelled', if: ONE_OF_THE_ORDER_FUNCTIONS }],
  })
  async cancelledBeforeSagaBegan({ event, step }: InngestContext<'inngest/function.cancelled'>) {
    if (await this.sagas.getState(event.data.run_id)) return { handledBy: 'saga' };
    const order = event.data.event.data as PlacedOrder;
    return step.run('cancel-order', () =>
      this.steps.cancel(order, 'customer_request', 'Cancelled on request.'),
    );
  }
}
