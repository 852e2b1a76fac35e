import { Compensate, Saga, type SagaContext, SagaStep } from '@sagaline/saga';
import type { NotificationChannel } from '../config/tenants';
import { OutOfStockError } from '../inventory/inventory.errors';
import { CANCEL_ORDER, OrderSteps, type PlacedOrder, TENANT_OF_THE_ORDER } from './order-steps';
import { SHARED_STEPS, SHIPPING_STEPS } from './saga-step-options';

type OrderContext = SagaContext<PlacedOrder>;

/**
 * The order pipeline for an order whose products are in stock: reserve, check for fraud, charge,
 * confirm, label, dispatch, notify. A failure before the dispatch compensates what was done
 * (release the stock, refund the card, void the label) in reverse order; the dispatch is the pivot:
 * once the parcel has left, failures are retried forward, never undone. How the order ends
 * (`cancelled`, with the reason) is recorded by `SagaOutcomes` from the saga's lifecycle events.
 */
@Saga({
  id: 'order-processing',
  trigger: 'order.ready',
  businessKey: 'orderId',
  cancelOn: CANCEL_ORDER,
  lifecycleEventData: TENANT_OF_THE_ORDER,
})
export class OrderSaga {
  constructor(private readonly steps: OrderSteps) {}

  /** A saga that starts after the order was cancelled goes no further. */
  @SagaStep('check-cancellation', SHARED_STEPS.checkCancellation)
  checkCancellation({ event }: OrderContext) {
    return this.steps.ensureNotCancelled(event.data);
  }

  /** Out of stock since the intake's check: the saga stops and the order goes to the backorder saga. */
  @SagaStep('reserve-inventory', { isPermanent: (error) => error instanceof OutOfStockError })
  reserve({ event }: OrderContext) {
    return this.steps.reserveInventory(event.data);
  }

  @Compensate('reserve-inventory')
  release({ event }: OrderContext) {
    return this.steps.releaseInventory(event.data);
  }

  @SagaStep('assess-fraud', SHARED_STEPS.assessFraud)
  assessFraud({ event }: OrderContext) {
    return this.steps.assessFraud(event.data);
  }

  @SagaStep('charge-payment', SHARED_STEPS.chargePayment)
  charge({ event }: OrderContext) {
    return this.steps.chargePayment(event.data);
  }

  @Compensate('charge-payment', SHARED_STEPS.refundPayment)
  refund({ event }: OrderContext) {
    return this.steps.refundPayment(event.data);
  }

  @SagaStep('confirm-order')
  confirm({ event }: OrderContext) {
    return this.steps.confirm(event.data);
  }

  @SagaStep('prepare-shipment', SHIPPING_STEPS.prepareShipment)
  prepareShipment({ event }: OrderContext) {
    return this.steps.prepareShipment(event.data);
  }

  @Compensate('prepare-shipment', SHIPPING_STEPS.voidLabel)
  voidLabel({ event }: OrderContext) {
    return this.steps.cancelShipment(event.data);
  }

  @SagaStep('dispatch-shipment', SHIPPING_STEPS.dispatch)
  dispatch({ event }: OrderContext) {
    return this.steps.dispatch(event.data);
  }

  @SagaStep('notify-email', { group: 'notify' })
  notifyByEmail({ event }: OrderContext) {
    return this.notify(event.data, 'email');
  }

  @SagaStep('notify-sms', { group: 'notify' })
  notifyBySms({ event }: OrderContext) {
    return this.notify(event.data, 'sms');
  }

  @SagaStep('notify-push', { group: 'notify' })
  notifyByPush({ event }: OrderContext) {
    return this.notify(event.data, 'push');
  }

  private notify(order: PlacedOrder, channel: NotificationChannel) {
    return this.steps.notify(order, channel);
  }
}
