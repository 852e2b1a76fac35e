import type { CompensationPolicy, RetryPolicy, SagaStepOptions } from '@sagaline/saga';
import { ServiceRefusedError } from '../integrations/http-json';
import { PaymentDeclinedError } from '../payments/payment-gateway.client';
import { PaymentTokenGoneError } from '../payments/payments.service';
import { ShipmentRejectedError } from '../shipping/carrier.client';
import { FraudSuspectedError, OrderCancelledError } from './order-steps';

/**
 * Retries of the steps and compensations that call the payment gateway or the carrier. The saga
 * retries each step itself, every wait a durable `step.sleep`, and how long it waits depends on
 * how the call failed:
 *
 * | failure | error | wait before the next attempt |
 * | --- | --- | --- |
 * | the service failing: `5xx`, a broken connection or lost reply, the breaker's timeout | `PaymentGatewayError`, `CarrierError`, `ServiceUnreachableError`, `CircuitTimeoutError` | doubling backoff: 1 s, 2 s, 4 s, then 5 s |
 * | the service limiting us: `429` | `RateLimitedError` (its `retryAfterMs`) | its `Retry-After` (at most 5 min, the saga's `maxRetryAfterMs`) |
 * | the breaker open | Inngest's `RetryAfterError` | until the breaker lets probes through (plus up to 10% jitter) |
 * | the service refusing the request: a decline, a refused address, another `4xx` | `PaymentDeclinedError`, `ShipmentRejectedError`, `ServiceRefusedError` | none: permanent (`isPermanent`), the order is cancelled |
 *
 * Every wait is an attempt of the 20. During an outage the breaker opens and most attempts are
 * rejected without a call, each then waiting for the breaker's next probes (an attempt that was a
 * failed probe takes one more, after a backoff): the attempts last 10 to 20 × `BREAKER_OPEN_MS`
 * (2 to 3 minutes at the default 10 s) before the order is cancelled. Only the probes reach the
 * service; an order goes on once they succeed, when its next attempt falls due.
 */
export const THROUGH_A_BREAKER: RetryPolicy = { attempts: 20, backoffMs: 1_000, maxBackoffMs: 5_000 };

/** The service refused the request itself: the same request will never succeed. */
const refusedRequest = (error: unknown) => error instanceof ServiceRefusedError;

/** The options of the steps (and compensations) both order sagas share. */
export const SHARED_STEPS = {
  checkCancellation: { isPermanent: (error) => error instanceof OrderCancelledError },
  assessFraud: { isPermanent: (error) => error instanceof FraudSuspectedError },
  /** A decline or a refused request is final (no retry); a gateway that is down or busy is waited for. */
  chargePayment: {
    isPermanent: (error) =>
      error instanceof PaymentDeclinedError ||
      error instanceof PaymentTokenGoneError ||
      refusedRequest(error),
    retry: THROUGH_A_BREAKER,
  },
  /** The refund of the charge calls the gateway too. */
  refundPayment: { retry: THROUGH_A_BREAKER },
} satisfies Record<string, SagaStepOptions | CompensationPolicy>;

/** The options of the order saga's steps (and compensations) that call the carrier. */
export const SHIPPING_STEPS = {
  /** An undeliverable address or a refused request is final; a carrier that is down or busy is waited for. */
  prepareShipment: {
    isPermanent: (error) => error instanceof ShipmentRejectedError || refusedRequest(error),
    retry: THROUGH_A_BREAKER,
  },
  voidLabel: { retry: THROUGH_A_BREAKER },
  /**
   * The pivot: a refused dispatch stalls the saga for an operator at once (nothing is undone after
   * a pivot), where a carrier that is down or busy is waited for.
   */
  dispatch: { pivot: true, isPermanent: refusedRequest, retry: THROUGH_A_BREAKER },
} satisfies Record<string, SagaStepOptions | CompensationPolicy>;
