import { ConflictException, Injectable } from '@nestjs/common';
import { InngestService } from '@sagaline/nestjs-inngest';
import { SagaService, type SagaState } from '@sagaline/saga';
import { FINAL_ORDER_STATUSES } from '../domain/order';
import { OrderSteps } from './order-steps';
import { OrdersService } from './orders.service';
import { ORDER_SAGAS } from './saga-outcomes';

/** One saga of an order as `GET /orders/:id` shows it. */
export interface OrderSagaView {
  sagaId: string;
  runId: string;
  status: SagaState['status'];
  completedSteps: string[];
  compensatedSteps: string[];
  failure?: SagaState['failure'];
  compensationFailures: SagaState['compensationFailures'];
  startedAt: string;
  updatedAt: string;
}

/**
 * Cancelling an order, and what its sagas are doing. A cancellation marks the order, then sends
 * `order.cancel.requested`, which the intake and every order saga list in their `cancelOn`:
 * `@sagaline/saga` runs the compensations of the steps done so far, and `SagaOutcomes` records the
 * cancellation. A saga that starts after the mark stops at its first step.
 */
@Injectable()
export class OrderCancellation {
  constructor(
    private readonly orders: OrdersService,
    private readonly sagas: SagaService,
    private readonly steps: OrderSteps,
    private readonly inngest: InngestService,
  ) {}

  /** Asks for the cancellation. @throws ConflictException once the order has shipped or ended. */
  async request(tenantId: string, orderId: string): Promise<{ orderId: string; status: 'cancelling' }> {
    const order = await this.orders.find(tenantId, orderId);
    if (FINAL_ORDER_STATUSES.has(order.status)) {
      throw new ConflictException({
        statusCode: 409,
        error: 'Conflict',
        code: 'ORDER_NOT_CANCELLABLE',
        message: `Order ${orderId} is ${order.status}; only orders not yet shipped can be cancelled.`,
      });
    }
    // first the mark, then the event: a saga that starts after the mark stops at its first step,
    // and one already running when the event arrives is cancelled by it, so none slips through
    await this.steps.requestCancellation({ orderId, tenantId });
    await this.inngest.send({
      name: 'order.cancel.requested',
      id: `cancel:${orderId}`,
      data: { orderId, tenantId },
    });
    return { orderId, status: 'cancelling' };
  }

  /** Every saga run of the order, oldest first. */
  async sagaStates(orderId: string): Promise<OrderSagaView[]> {
    const states = (
      await Promise.all(ORDER_SAGAS.map((id) => this.sagas.findByBusinessKey(id, orderId)))
    ).flat();
    return states
      .sort((a, b) => a.startedAt - b.startedAt)
      .map((state) => ({
        sagaId: state.sagaId,
        runId: state.runId,
        status: state.status,
        completedSteps: state.completedSteps,
        compensatedSteps: state.compensatedSteps,
        ...(state.failure ? { failure: state.failure } : {}),
        compensationFailures: state.compensationFailures,
        startedAt: new Date(state.startedAt).toISOString(),
        updatedAt: new Date(state.updatedAt).toISOString(),
      }));
  }
}
