import { Injectable } from '@nestjs/common';
import { type InngestContext, InngestFunction } from '@sagaline/nestjs-inngest';
import { CANCEL_ORDER, OrderSteps } from './order-steps';

/**
 * The first stop of every order: checks the stock, then hands the order to the order saga
 * (`order.ready`) or, when a product is short, to the backorder saga (`order.backordered`).
 * No compensation is needed here, so it is a plain function, not a saga.
 */
@Injectable()
export class OrderIntake {
  constructor(private readonly steps: OrderSteps) {}

  @InngestFunction({ id: 'order-intake', triggers: [{ event: 'order.created' }], cancelOn: [CANCEL_ORDER] })
  async route({ event, step }: InngestContext<'order.created'>) {
    const order = event.data;
    const checked = await step.run('check-inventory', () => this.steps.checkInventory(order));
    const { cancelRequested } = await step.run('check-cancellation', () =>
      this.steps.isCancelRequested(order),
    );
    if (cancelRequested) {
      await step.run('cancel-order', () =>
        this.steps.cancel(order, 'customer_request', 'Cancelled on request.'),
      );
      return { next: null };
    }
    const next = checked.inStock ? 'order.ready' : 'order.backordered';
    await step.sendEvent('hand-over', { name: next, id: `${next}:${order.orderId}`, data: order });
    return { next };
  }
}
