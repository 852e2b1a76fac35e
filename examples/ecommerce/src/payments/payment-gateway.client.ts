import type { CircuitBreaker } from '@sagaline/circuit-breaker';
import { type JsonResponse, refusedError, requestJson } from '../integrations/http-json';

const SERVICE = 'The payment gateway';

/** A successful charge. */
export interface Charge {
  id: string;
  amount: number;
  currency: string;
}

/**
 * The gateway refused the payment (card declined, invalid token): a business outcome, final for
 * this order, and no sign that the gateway is unwell, so it does not count against its breaker.
 * Any other `4xx` is a `ServiceRefusedError`, also final; a `429` is a `RateLimitedError`.
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
      const response = await requestJson(SERVICE, `${this.baseUrl}/v1/charges`, {
        method: 'POST',
        body: { amount: request.amount, currency: request.currency, source: request.token },
        idempotencyKey: request.idempotencyKey,
        signal,
      });
      const { status, body } = response;
      if (status === 201 || status === 200)
        return { id: body.id, amount: body.amount, currency: body.currency };
      if (isCardRefusal(response))
        throw new PaymentDeclinedError(body.error.code, body.error.message ?? 'no detail');
      throw failure(response);
    });
  }

  /** Refunds what is left of a charge; refunding an already refunded charge is not an error. */
  refund(request: {
    chargeId: string;
    idempotencyKey: string;
  }): Promise<{ id: string; amount: number } | null> {
    return this.breaker.execute(async (signal) => {
      const response = await requestJson(SERVICE, `${this.baseUrl}/v1/refunds`, {
        method: 'POST',
        body: { charge: request.chargeId },
        idempotencyKey: request.idempotencyKey,
        signal,
      });
      const { status, body } = response;
      if (status === 201 || status === 200) return { id: body.id, amount: body.amount };
      if (body?.error?.code === 'charge_already_refunded') return null;
      throw failure(response);
    });
  }
}

/**
 * A refusal of the card rather than of the request: Stripe's `card_error` type (a `402` such as
 * `card_declined`), or a card token the gateway does not know.
 */
function isCardRefusal({ status, body }: JsonResponse): boolean {
  if (status < 400 || status >= 500 || typeof body?.error?.code !== 'string') return false;
  return body.error.type === 'card_error' || body.error.code === 'token_invalid';
}

/** A `4xx` is the gateway refusing the request (final); anything else, the gateway failing (retried). */
function failure(response: JsonResponse): Error {
  const { status, body } = response;
  if (status >= 400 && status < 500) return refusedError(SERVICE, response);
  return new PaymentGatewayError(status, body?.error?.message ?? 'no detail');
}
