import { Injectable } from '@nestjs/common';
import { type FieldError, InvalidInputException } from '../common/validation';
import type { TenantConfig } from '../config/tenants';
import type { Order } from '../domain/order';
import { toOrderRequest } from './order-request';
import type { CreateOrderRequest, PlaceOrderBody } from './orders.schemas';
import { OrdersService } from './orders.service';

/** One order of a bulk as `POST /orders/bulk` answers it. */
export interface BulkOrderAccepted {
  id: string;
  status: Order['status'];
  /** In minor units of `currency`. */
  total: number;
  currency: string;
}

/** The answer of `POST /orders/bulk`: the orders, in the order of the request. */
export interface BulkOrdersAccepted {
  orders: BulkOrderAccepted[];
}

/**
 * The idempotency key of the bulk's `index`-th order, derived from the bulk's key: a retried bulk
 * finds the orders an earlier attempt stored and stores only the rest.
 */
export const bulkOrderIdempotencyKey = (bulkKey: string, index: number) => `bulk:${bulkKey}:${index}`;

/**
 * Places many orders in one request, all or none as far as input goes: every order is checked as
 * `POST /orders` checks it (`toOrderRequest`, then the catalog) before any is stored, and one
 * invalid order refuses the whole bulk with every error named by the order's index. Each order is
 * then stored as `OrdersService.place` stores it (same pricing, same outbox), one after the other.
 */
@Injectable()
export class BulkOrdersService {
  constructor(private readonly orders: OrdersService) {}

  /**
   * Checks every order, then places them in request order. With `idempotencyKey`, each order is
   * stored under a key derived from it, so a retry of a bulk that failed half-way (a crash, a
   * database error) stores the missing orders and answers all of them, never a second copy.
   * @throws InvalidInputException naming `orders.<index>.<field>` for each problem; nothing is stored.
   */
  async placeAll(
    tenant: TenantConfig,
    bodies: PlaceOrderBody[],
    idempotencyKey?: string,
  ): Promise<BulkOrdersAccepted> {
    const requests = checkAll(tenant, bodies);
    const accepted: BulkOrderAccepted[] = [];
    for (const [index, request] of requests.entries()) {
      const key = idempotencyKey === undefined ? undefined : bulkOrderIdempotencyKey(idempotencyKey, index);
      const order = await this.orders.place(tenant, request, key);
      accepted.push({ id: order.id, status: order.status, total: order.total, currency: order.currency });
    }
    return { orders: accepted };
  }
}

/** Every body as the order the service takes. @throws InvalidInputException with all the errors */
function checkAll(tenant: TenantConfig, bodies: PlaceOrderBody[]): CreateOrderRequest[] {
  const errors: FieldError[] = [];
  const requests = bodies.map((body, index) => {
    const ofThisOrder = (error: FieldError) => ({ ...error, field: `orders.${index}.${error.field}` });
    errors.push(...unknownProducts(tenant, body.items).map(ofThisOrder));
    try {
      return toOrderRequest(tenant, body);
    } catch (error) {
      if (!(error instanceof InvalidInputException)) throw error;
      errors.push(...error.errors.map(ofThisOrder));
      return undefined;
    }
  });
  if (errors.length > 0) throw new InvalidInputException(errors);
  return requests as CreateOrderRequest[];
}

/**
 * The products the tenant does not sell, named as `OrdersService.place` names them. Checked here
 * too because `place` finds them only when it stores the order, after the orders before it.
 */
function unknownProducts(tenant: TenantConfig, items: PlaceOrderBody['items']): FieldError[] {
  const sold = tenant.catalog.map((product) => product.id);
  return items.flatMap((item, index) =>
    sold.includes(item.productId)
      ? []
      : [
          {
            field: `items.${index}.productId`,
            message: `unknown product "${item.productId}"; ${tenant.name} sells ${sold.join(', ')}`,
          },
        ],
  );
}
