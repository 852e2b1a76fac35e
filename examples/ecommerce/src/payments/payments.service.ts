import { Inject, Injectable } from '@nestjs/common';
import { CircuitBreakerService } from '@sagaline/circuit-breaker';
import { SHOP_SETTINGS, type ShopSettings } from '../config/shop-config.provider';
import { BREAKERS, businessError } from '../integrations/circuit-breakers';
import { PaymentTokenVault } from '../privacy/payment-token-vault';
import { PaymentDeclinedError, PaymentGatewayClient } from './payment-gateway.client';
import { type Payment, PaymentsRepository } from './payments.repository';

/** The payment does not exist for this tenant. */
export class PaymentNotFoundError extends Error {
  readonly code = 'PAYMENT_NOT_FOUND';
  constructor(readonly paymentId: string) {
    super(`No payment "${paymentId}" for this tenant.`);
    this.name = 'PaymentNotFoundError';
  }
}

/**
 * The order's card token is no longer kept (the gateway answered a charge before, or the order
 * ended): there is nothing to charge it with. Final.
 */
export class PaymentTokenGoneError extends Error {
  readonly code = 'PAYMENT_TOKEN_GONE';
  constructor(readonly paymentId: string) {
    super(`The card token for payment "${paymentId}" is no longer kept; the customer must pay again.`);
    this.name = 'PaymentTokenGoneError';
  }
}

/** What to charge. */
export interface ChargeRequest {
  paymentId: string;
  tenantId: string;
  orderId: string | null;
  amount: number;
  currency: string;
  /** The card token; for an order, taken from the `PaymentTokenVault` when not given. */
  token?: string;
}

/**
 * Charges and refunds through the payment gateway (and its circuit breaker), keeping a record of
 * each payment. The payment id is the gateway's idempotency key, so a charge retried after a timeout
 * is never taken twice.
 */
@Injectable()
export class PaymentsService {
  private readonly gateway: PaymentGatewayClient;

  constructor(
    @Inject(SHOP_SETTINGS) settings: ShopSettings,
    private readonly payments: PaymentsRepository,
    private readonly tokens: PaymentTokenVault,
    breakers: CircuitBreakerService,
  ) {
    this.gateway = new PaymentGatewayClient(
      settings.paymentGatewayUrl,
      breakers.breaker(BREAKERS.paymentGateway),
    );
  }

  /**
   * Charges the card. A decline is recorded as a failed payment and rethrown.
   * @throws PaymentDeclinedError when the card is refused (a business outcome; inside an Inngest
   * function wrapped in `NonRetriableError`, see `businessError`).
   * @throws PaymentGatewayError, ServiceUnreachableError or CircuitTimeoutError when the gateway is
   * unwell, CircuitOpenError (RetryAfterError inside Inngest) while its breaker is open: retry later.
   */
  async charge(request: ChargeRequest): Promise<Payment> {
    const existing = await this.payments.find(request.tenantId, request.paymentId);
    if (existing && existing.status !== 'failed') {
      await this.forgetToken(request);
      return existing;
    }
    const token = request.token ?? (await this.tokenOf(request));
    const base = {
      id: request.paymentId,
      tenantId: request.tenantId,
      orderId: request.orderId,
      amount: request.amount,
      currency: request.currency,
      createdAt: new Date().toISOString(),
    };
    try {
      const charge = await this.gateway.charge({
        amount: request.amount,
        currency: request.currency,
        token,
        idempotencyKey: request.paymentId,
      });
      const saved = await this.payments.save({ ...base, status: 'processed', chargeId: charge.id });
      await this.forgetToken(request);
      return saved;
    } catch (error) {
      const declined = businessError(error);
      if (declined instanceof PaymentDeclinedError) {
        await this.payments.save({
          ...base,
          status: 'failed',
          failure: { code: declined.declineCode, detail: declined.detail },
        });
        await this.forgetToken(request);
      }
      throw error;
    }
  }

  /** The order's card token from the vault. @throws PaymentTokenGoneError once it was forgotten. */
  private async tokenOf(request: ChargeRequest): Promise<string> {
    const token = request.orderId ? await this.tokens.find(request.tenantId, request.orderId) : undefined;
    if (token === undefined) throw new PaymentTokenGoneError(request.paymentId);
    return token;
  }

  /** Once the gateway has answered the charge, the card token is kept no longer. */
  private async forgetToken(request: ChargeRequest): Promise<void> {
    if (request.orderId) await this.tokens.forget(request.tenantId, request.orderId);
  }

  /** Refunds a processed payment; refunding twice, or a payment never taken, changes nothing. */
  async refund(tenantId: string, paymentId: string): Promise<Payment> {
    const payment = await this.payments.find(tenantId, paymentId);
    if (!payment) throw new PaymentNotFoundError(paymentId);
    if (payment.status !== 'processed' || !payment.chargeId) return payment;
    const refund = await this.gateway.refund({
      chargeId: payment.chargeId,
      idempotencyKey: `refund-${paymentId}`,
    });
    return this.payments.save({ ...payment, status: 'refunded', refundId: refund?.id });
  }

  /** The payment, or undefined. */
  find(tenantId: string, paymentId: string): Promise<Payment | undefined> {
    return this.payments.find(tenantId, paymentId);
  }

  /** The payment. @throws PaymentNotFoundError */
  async get(tenantId: string, paymentId: string): Promise<Payment> {
    const payment = await this.payments.find(tenantId, paymentId);
    if (!payment) throw new PaymentNotFoundError(paymentId);
    return payment;
  }
}
