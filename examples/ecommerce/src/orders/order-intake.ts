import { Injectable } from '@nestjs/common';
import { type InngestContext, InngestFunction } from '@sagaline/nestjs-inngest';
import type { ShopEvents } from '../domain/events';
import { CANCEL_ORDER, OrderSteps, type PlacedOrder } from './order-steps';
import { OrdersRepository } from './orders.repository';

/**
 * How long the intake waits for the batched check's answer before checking the order alone. The
 * answer normally comes within the batch timeout (1 s) plus a run; this only bounds what a lost
 * answer (a batch run that used up its retries) costs.
 */
export const INVENTORY_ANSWER_TIMEOUT = '1m';

type IntakeStep = InngestContext<'order.created'>['step'];

/**
 * The first stop of every order: checks the stock, then hands the order to the order saga
 * (`order.ready`) or, when a product is short, to the backorder saga (`order.backordered`).
 * No compensation is needed here, so it is a plain function, not a saga.
 */
@Injectable()
export class OrderIntake {
  constructor(
    private readonly steps: OrderSteps,
    private readonly orders: OrdersRepository,
  ) {}

  @InngestFunction({ id: 'order-intake', triggers: [{ event: 'order.created' }], cancelOn: [CANCEL_ORDER] })
  async route({ event, step }: InngestContext<'order.created'>) {
    const order = event.data;
    const checked = await this.checkInventory(order, step);
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

  /**
   * Asks the batched `inventory-check` (src/inventory/inventory-check.ts) and records its answer on
   * the order. A wait sees only events that arrive after it starts, so the wait and the request
   * are two parallel steps: the SDK reports both in one answer, the engine stores the wait, and
   * only then runs the step that sends the request. Without an answer in time the order is checked
   * alone, as before batching.
   */
  private async checkInventory(
    order: PlacedOrder,
    step: IntakeStep,
  ): Promise<ShopEvents['inventory.checked']> {
    const [answer] = await Promise.all([
      step.waitForEvent('inventory-checked', {
        event: 'inventory.checked',
        match: 'data.orderId',
        timeout: INVENTORY_ANSWER_TIMEOUT,
      }),
      step.sendEvent('request-inventory-check', {
        name: 'inventory.check.requested',
        id: `inventory.check.requested:${order.orderId}`,
        data: { orderId: order.orderId, tenantId: order.tenantId, lines: order.lines },
      }),
    ]);
    if (!answer) return step.run('check-inventory-alone', () => this.steps.checkInventory(order));
    const checked = answer.data as ShopEvents['inventory.checked'];
    await step.run('record-inventory-check', async () => {
      // the id `OrderSteps.checkInventory` records under: whichever records first counts
      await this.orders.apply(
        order.tenantId,
        order.orderId,
        { type: 'inventory.checked', data: checked },
        `${order.orderId}:inventory.checked`,
      );
    });
    return checked;
  }
}
