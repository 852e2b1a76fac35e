import { Body, Controller, Get, Param, Post, UseInterceptors } from '@nestjs/common';
import { ulid } from 'ulidx';
import { z } from 'zod';
import { Idempotent } from '../common/idempotency.interceptor';
import { formatMinorUnits, minorUnitDigits, toMinorUnits } from '../common/money';
import { InvalidInputException } from '../common/validation';
import type { TenantConfig } from '../config/tenants';
import { CurrentTenant } from '../tenancy/tenant.guard';
import { PaymentsService } from './payments.service';

/**
 * `POST /payments`, in two spellings: the original example's `payment` object
 * (`{ method: "card", cardToken, amount: 12.34 }`, the amount in the currency's units), or the
 * shop's own (`{ paymentToken, amount: 1234 }`, in minor units).
 */
const createPaymentSchema = z
  .strictObject({
    method: z.literal('card', 'the shop takes cards only: use "card"').optional(),
    cardToken: z.string().min(1, 'a card token such as tok_visa').max(255).optional(),
    paymentToken: z.string().min(1, 'a card token such as tok_visa').max(255).optional(),
    amount: z.number().positive().max(1_000_000_000),
    orderId: z.string().min(1).max(64).optional(),
  })
  .superRefine((body, context) => {
    if (body.cardToken === undefined && body.paymentToken === undefined)
      context.addIssue({
        code: 'custom',
        path: ['cardToken'],
        message: 'required: a card token such as tok_visa',
      });
    if (body.cardToken !== undefined && body.paymentToken !== undefined)
      context.addIssue({
        code: 'custom',
        path: ['cardToken'],
        message: 'send cardToken or paymentToken, not both',
      });
    if (body.paymentToken !== undefined && !Number.isInteger(body.amount)) {
      context.addIssue({
        code: 'custom',
        path: ['amount'],
        message: 'with paymentToken, use minor units, e.g. 1999 for 19.99 (or send cardToken with 19.99)',
      });
    }
  });
type CreatePaymentBody = z.infer<typeof createPaymentSchema>;

@Controller('payments')
export class PaymentsController {
  constructor(private readonly payments: PaymentsService) {}

  /**
   * Charges a card in the tenant's currency through the gateway and its circuit breaker. 201 with
   * the payment; 402 when declined; 503 while the gateway is down.
   */
  @Post()
  @UseInterceptors(Idempotent)
  create(
    @CurrentTenant() tenant: TenantConfig,
    @Body({ schema: createPaymentSchema }) body: CreatePaymentBody,
  ) {
    return this.payments.charge({
      paymentId: `pay_${ulid()}`,
      tenantId: tenant.id,
      orderId: body.orderId ?? null,
      amount: body.cardToken === undefined ? body.amount : minorUnitsOf(body.amount, tenant.currency),
      currency: tenant.currency,
      token: (body.cardToken ?? body.paymentToken) as string,
    });
  }

  /** Refunds a processed payment; refunding twice changes nothing. */
  @Post(':id/refund')
  refund(@CurrentTenant() tenant: TenantConfig, @Param('id') id: string) {
    return this.payments.refund(tenant.id, id);
  }

  @Get(':id')
  get(@CurrentTenant() tenant: TenantConfig, @Param('id') id: string) {
    return this.payments.get(tenant.id, id);
  }
}

function minorUnitsOf(amount: number, currency: string): number {
  const minor = toMinorUnits(amount, currency);
  if (minor !== undefined) return minor;
  const digits = minorUnitDigits(currency);
  throw new InvalidInputException([
    {
      field: 'amount',
      message: `${currency} has ${digits} decimals: send e.g. ${formatMinorUnits(Math.round(amount * 10 ** digits), currency)}`,
    },
  ]);
}
