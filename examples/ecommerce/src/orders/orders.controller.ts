import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Query,
  UseInterceptors,
} from '@nestjs/common';
import { IDEMPOTENCY_HEADER, Idempotent } from '../common/idempotency.interceptor';
import type { TenantConfig } from '../config/tenants';
import { CurrentTenant } from '../tenancy/tenant.guard';
import { BulkOrdersService } from './bulk-orders.service';
import { OrderCancellation } from './order-cancellation';
import { toOrderRequest } from './order-request';
import {
  type BulkPlaceOrdersBody,
  bulkPlaceOrdersSchema,
  type ListOrdersQuery,
  listOrdersSchema,
  type PlaceOrderBody,
  placeOrderSchema,
} from './orders.schemas';
import { OrdersService } from './orders.service';

@Controller('orders')
export class OrdersController {
  constructor(
    private readonly orders: OrdersService,
    private readonly cancellation: OrderCancellation,
    private readonly bulk: BulkOrdersService,
  ) {}

  /**
   * Accepts an order, in the original example's spelling or the shop's own (`placeOrderSchema`):
   * 202, the pipeline runs in the background; poll `GET /orders/:id`.
   */
  @Post()
  @HttpCode(202)
  @UseInterceptors(Idempotent)
  place(
    @CurrentTenant() tenant: TenantConfig,
    @Body({ schema: placeOrderSchema }) body: PlaceOrderBody,
    @Headers(IDEMPOTENCY_HEADER) idempotencyKey?: string,
  ) {
    return this.orders.place(tenant, toOrderRequest(tenant, body), idempotencyKey);
  }

  /**
   * Accepts up to 100 orders at once (`bulkPlaceOrdersSchema`), all or none: one invalid order
   * refuses the bulk with 400 naming `orders.<index>.<field>`, and nothing is stored. 202 with the
   * orders' ids in request order; an `Idempotency-Key` covers the whole bulk.
   */
  @Post('bulk')
  @HttpCode(202)
  @UseInterceptors(Idempotent)
  placeBulk(
    @CurrentTenant() tenant: TenantConfig,
    @Body({ schema: bulkPlaceOrdersSchema }) body: BulkPlaceOrdersBody,
    @Headers(IDEMPOTENCY_HEADER) idempotencyKey?: string,
  ) {
    return this.bulk.placeAll(tenant, body.orders, idempotencyKey);
  }

  @Get()
  list(@CurrentTenant() tenant: TenantConfig, @Query({ schema: listOrdersSchema }) query: ListOrdersQuery) {
    return this.orders.list(tenant.id, query);
  }

  /** The order, its sagas' state, its event history and its Inngest events (from the event store). */
  @Get(':id')
  async get(@CurrentTenant() tenant: TenantConfig, @Param('id') id: string) {
    // The sagas first: a saga seen ended has applied all its events to the order read after it,
    // so a client never sees an ended saga next to an order that misses some of its work.
    const sagas = await this.cancellation.sagaStates(id);
    const { order, history, inngestEvents } = await this.orders.get(tenant.id, id);
    return { ...order, sagas, history, inngestEvents };
  }

  /** Cancels the order: whatever the saga has done is compensated. 202; the order ends `cancelled`. */
  @Post(':id/cancel')
  @HttpCode(202)
  cancel(@CurrentTenant() tenant: TenantConfig, @Param('id') id: string) {
    return this.cancellation.request(tenant.id, id);
  }
}
