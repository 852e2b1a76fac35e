import { Body, Controller, Get, Param, Post, UseInterceptors } from '@nestjs/common';
import { ulid } from 'ulidx';
import { z } from 'zod';
import { Idempotent } from '../common/idempotency.interceptor';
import type { TenantConfig } from '../config/tenants';
import { CurrentTenant } from '../tenancy/tenant.guard';
import { PaymentsService } from './payments.service';

const createPaymentSchema = z.strictObject({
  amount: z.number().int('use minor units, e.g. 1999 for 19.99').positive(),
  paymentToken: z.string().min(1, 'a card token such as tok_visa'),
  orderId: z.string().optional(),
});

@Controller('payments')
export class PaymentsController {
  constructor(private readonly payments: PaymentsService) {}

  /** Charges a card in the tenant's currency. 201 with the payment; 402 when declined. */
  @Post()
  @UseInterceptors(Idempotent)
  create(
    @CurrentTenant() tenant: TenantConfig,
    @Body({ schema: createPaymentSchema }) body: z.infer<typeof createPaymentSchema>,
  ) {
    return this.payments.charge({
      paymentId: `pay_${ulid()}`,
      tenantId: tenant.id,
      orderId: body.orderId ?? null,
      amount: body.amount,
      currency: tenant.currency,
      token: body.paymentToken,
    });
  }

  @Post(':id/refund')
  refund(@CurrentTenant() tenant: TenantConfig, @Param('id') id: string) {
    return this.payments.refund(tenant.id, id);
  }

  @Get(':id')
  get(@CurrentTenant() tenant: TenantConfig, @Param('id') id: string) {
    return this.payments.get(tenant.id, id);
  }
}
