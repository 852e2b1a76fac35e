import type { CompensationPolicy, RetryPolicy, SagaStepOptions } from '@sagaline/saga';
import { PaymentDeclinedError } from '../payments/payment-gateway.client';
import { FraudSuspectedError, OrderCancelledError } from './order-steps';

/**
 * Retries of the steps and compensations that call the payment gateway or the carrier, long enough
 * to ride out an outage (about 90 s: 20 attempts, 1 s apart doubling to at most 5 s) instead of
 * cancelling the order.
 *
 * The saga retries each step itself, with durable `step.sleep` backoff: it catches every error of
 * an attempt, the `RetryAfterError` an open breaker throws included, and counts it as a failed
 * attempt. So the breaker's retry time does not stretch the wait here (it does in plain Inngest
 * functions); what the breaker brings is that an attempt during an outage fails at once without
 * calling the service, which only sees the breaker's probes. The short cap means an order goes on
 * at most 5 s after the breaker lets calls through again.
 */
export const THROUGH_A_BREAKER: RetryPolicy = { attempts: 20, backoffMs: 1_000, maxBackoffMs: 5_000 };

/** The options of the steps (and compensations) both order sagas share. */
export const SHARED_STEPS = {
  checkCancellation: { isPermanent: (error) => error instanceof OrderCancelledError },
  assessFraud: { isPermanent: (error) => error instanceof FraudSuspectedError },
  /** A decline is final (no retry); a gateway that is down is waited for. */
  chargePayment: {
    isPermanent: (error) => error instanceof PaymentDeclinedError,
    retry: THROUGH_A_BREAKER,
  },
  /** The refund of the charge calls the gateway too. */
  refundPayment: { retry: THROUGH_A_BREAKER },
} satisfies Record<string, SagaStepOptions | CompensationPolicy>;
