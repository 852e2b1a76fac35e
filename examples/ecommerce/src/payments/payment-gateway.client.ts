import type { CircuitBreaker } from '@sagaline/circuit-breaker';
import { requestJson } from '../integrations/http-json';

/** A successful charge. */
export interface Charge {
  id: string;
  amount: number;
  currency: string;
}

/**
 * The gateway refused the payment (card declined, invalid token): a business outcome, final for
 * this order, and no sign that the gateway is unwell, so it does not count against its breaker.
 */
export class PaymentDeclinedError extends Error {
  readonly code = 'PAYMENT_DECLINED';
  constructor(
    readonly declineCode: string,
    readonly detail: string,
  ) {
    super(`The payment was declined (${declineCode}): ${detail}`);
    this.name = 'PaymentDeclinedError';
  }
}

/** The gateway answered with a server error: it is unwell; retry later. Counts against its breaker. */
export class PaymentGatewayError extends Error {
  readonly code = 'PAYMENT_GATEWAY_ERROR';
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(`The payment gateway failed with ${status}: ${detail}. It will be retried.`);
    this.name = 'PaymentGatewayError';
  }
}

/**
 * A small client of the gateway's charges API (the simulator, or anything shaped like Stripe). Every
 * call goes through the `payment-gateway` circuit breaker: while it is open the gateway is not
 * called at all, and the call fails at once with `CircuitOpenError` (inside an Inngest function,
 * Inngest's `RetryAfterError` with the time the breaker lets probes through).
 */
export class PaymentGatewayClient {
  constructor(
    private readonly baseUrl: string,
    private readonly breaker: Pick<CircuitBreaker, 'execute'>,
  ) {}

  /** Charges `amount` (minor units) to the card `token`; the same `idempotencyKey` never charges twice. */
  charge(request: {
    amount: number;
    currency: string;
    token: string;
    idempotencyKey: string;
  }): Promise<Charge> {
    return this.breaker.execute(async (signal) => {
      const { status, body } = await requestJson('The payment gateway', `${this.baseUrl}/v1/charges`, {
        method: 'POST',
        body: { amount: request.amount, currency: request.currency, source: request.token },
        idempotencyKey: request.idempotencyKey,
        signal,
      });
      if (status === 201 || status === 200)
        return { id: body.id, amount: body.amount, currency: body.currency };
      if (status >= 400 && status < 500) {
        throw new PaymentDeclinedError(
          body?.error?.code ?? `http_${status}`,
          body?.error?.message ?? 'no detail',
        );
      }
      throw new PaymentGatewayError(status, body?.error?.message ?? 'no detail');
    });
  }

  /** Refunds what is left of a charge; refunding an already refunded charge is not an error. */
  refund(request: {
    chargeId: string;
    idempotencyKey: string;
  }): Promise<{ id: string; amount: number } | null> {
    return this.breaker.execute(async (signal) => {
      const { status, body } = await requestJson('The payment gateway', `${this.baseUrl}/v1/refunds`, {
        method: 'POST',
        body: { charge: request.chargeId },
        idempotencyKey: request.idempotencyKey,
        signal,
      });
      if (status === 201 || status === 200) return { id: body.id, amount: body.amount };
      if (body?.error?.code === 'charge_already_refunded') return null;
      throw new PaymentGatewayError(status, body?.error?.message ?? 'no detail');
    });
  }
}
