import { Body, Controller, Get, NotFoundException, Param, Post, UseInterceptors } from '@nestjs/common';
import { InngestService } from '@sagaline/nestjs-inngest';
import { ulid } from 'ulidx';
import { z } from 'zod';
import { Idempotent } from '../common/idempotency.interceptor';
import { InvalidInputException } from '../common/validation';
import type { TenantConfig } from '../config/tenants';
import { CurrentTenant } from '../tenancy/tenant.guard';
import { InventoryService, type StockLevel } from './inventory.service';

const quantitySchema = z.number().int('must be a whole number').min(1).max(100_000);
const reserveSchema = z.strictObject({
  quantity: quantitySchema,
  reference: z.string().min(1).max(100).optional(),
});
const releaseSchema = z.strictObject({ reservationId: z.string().min(1).max(64) });
const restockSchema = z.strictObject({ quantity: quantitySchema });

@Controller('inventory')
export class InventoryController {
  constructor(
    private readonly inventory: InventoryService,
    private readonly inngest: InngestService,
  ) {}

  private async level(tenant: TenantConfig, productId: string): Promise<StockLevel> {
    const level = await this.inventory.level(tenant.id, productId);
    if (!level) {
      throw new NotFoundException({
        statusCode: 404,
        error: 'Not Found',
        code: 'PRODUCT_NOT_FOUND',
        message: `${tenant.name} does not stock "${productId}"; it stocks ${tenant.catalog.map((p) => p.id).join(', ')}.`,
      });
    }
    return level;
  }

  @Get(':productId')
  get(@CurrentTenant() tenant: TenantConfig, @Param('productId') productId: string) {
    return this.level(tenant, productId);
  }

  /** The reservations holding the product's stock, the orders' included: what `reserved` is made of. */
  @Get(':productId/reservations')
  async reservations(@CurrentTenant() tenant: TenantConfig, @Param('productId') productId: string) {
    await this.level(tenant, productId);
    return { items: await this.inventory.openReservations(tenant.id, productId) };
  }

  /**
   * Holds stock outside any order (e.g. for a showroom): 201 with the reservation and its `id`,
   * which releases it. It holds until released; an `Idempotency-Key` makes a retry reserve once.
   */
  @Post(':productId/reserve')
  @UseInterceptors(Idempotent)
  async reserve(
    @CurrentTenant() tenant: TenantConfig,
    @Param('productId') productId: string,
    @Body({ schema: reserveSchema }) body: z.infer<typeof reserveSchema>,
  ) {
    await this.level(tenant, productId);
    const id = `res_${ulid()}`;
    return this.inventory.reserve(tenant.id, id, body.reference ?? id, [
      { productId, quantity: body.quantity },
    ]);
  }

  /** Gives a reservation's stock back; releasing it again changes nothing and answers the same. */
  @Post(':productId/release')
  async release(
    @CurrentTenant() tenant: TenantConfig,
    @Param('productId') productId: string,
    @Body({ schema: releaseSchema }) body: z.infer<typeof releaseSchema>,
  ) {
    await this.level(tenant, productId);
    const reservation = await this.inventory.reservation(tenant.id, body.reservationId);
    if (!reservation.lines.some((line) => line.productId === productId)) {
      throw new InvalidInputException([
        {
          field: 'reservationId',
          message: `${reservation.id} holds ${reservation.lines.map((line) => line.productId).join(', ')}, not ${productId}: release it under one of those`,
        },
      ]);
    }
    return this.inventory.release(tenant.id, body.reservationId);
  }

  /** Adds stock and sends `inventory.restocked`, which wakes backordered orders. */
  @Post(':productId/restock')
  async restock(
    @CurrentTenant() tenant: TenantConfig,
    @Param('productId') productId: string,
    @Body({ schema: restockSchema }) body: z.infer<typeof restockSchema>,
  ) {
    await this.level(tenant, productId);
    const stock = await this.inventory.restock(tenant.id, productId, body.quantity);
    await this.inngest.send({
      name: 'inventory.restocked',
      data: { tenantId: tenant.id, productId, quantity: body.quantity, stock },
    });
    return this.level(tenant, productId);
  }
}
