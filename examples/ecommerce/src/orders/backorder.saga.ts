import { Compensate, Saga, type SagaContext, SagaStep } from '@sagaline/saga';
import type { ShopConfig } from '../config/shop-config';
import type { ShopEvents } from '../domain/events';
import { CANCEL_ORDER, OrderSteps, type PlacedOrder, TENANT_OF_THE_ORDER } from './order-steps';
import { SHARED_STEPS } from './saga-step-options';

type BackorderContext = SagaContext<PlacedOrder>;

/** A restock of the tenant's product that one of the order's lines needs (CEL, as Inngest evaluates it). */
const RESTOCK_OF_A_MISSING_PRODUCT =
  'async.data.tenantId == event.data.tenantId && event.data.lines.exists(line, line.productId == async.data.productId)';

/**
 * The backorder workflow: an order short of stock is charged (as a pre-order), then waits for a
 * restock of one of its products. A restock hands it back to the order saga, which reserves and
 * ships it (or, if the restock was not enough, sends it back here for another wait). No restock
 * before the timeout fails the wait, which refunds the charge: the order ends `cancelled`.
 *
 * Built by a function because the timeout is configuration (`BACKORDER_TIMEOUT`) and decorator
 * options are fixed when a class is declared; Nest's own `AuthGuard('jwt')` is made the same way.
 */
export function createBackorderSaga(config: Pick<ShopConfig, 'backorderTimeout'>) {
  @Saga({
    id: 'order-backorder',
    trigger: 'order.backordered',
    businessKey: 'orderId',
    cancelOn: CANCEL_ORDER,
    lifecycleEventData: TENANT_OF_THE_ORDER,
  })
  class BackorderSaga {
    constructor(readonly steps: OrderSteps) {}

    /** A saga that starts after the order was cancelled goes no further. */
    @SagaStep('check-cancellation', SHARED_STEPS.checkCancellation)
    checkCancellation({ event }: BackorderContext) {
      return this.steps.ensureNotCancelled(event.data);
    }

    @SagaStep('assess-fraud', SHARED_STEPS.assessFraud)
    assessFraud({ event }: BackorderContext) {
      return this.steps.assessFraud(event.data);
    }

    @SagaStep('charge-payment', SHARED_STEPS.chargePayment)
    charge({ event }: BackorderContext) {
      return this.steps.chargePayment(event.data);
    }

    @Compensate('charge-payment', SHARED_STEPS.refundPayment)
    refund({ event }: BackorderContext) {
      return this.steps.refundPayment(event.data);
    }

    /** Waits for the restock; pure, as it runs again on every replay. */
    @SagaStep('await-restock', {
      waitForEvent: {
        event: 'inventory.restocked',
        if: RESTOCK_OF_A_MISSING_PRODUCT,
        timeout: config.backorderTimeout,
      },
    })
    restocked(_context: BackorderContext, restock: { data: ShopEvents['inventory.restocked'] }) {
      return { productId: restock.data.productId, stock: restock.data.stock };
    }

    @SagaStep('resume-order')
    resume({ event, runId }: BackorderContext) {
      return this.steps.handOver(event.data, 'order.ready', runId);
    }
  }
  return BackorderSaga;
}
