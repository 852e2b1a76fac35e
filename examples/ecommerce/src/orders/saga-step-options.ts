import type { SagaStepOptions } from '@sagaline/saga';
import { PaymentDeclinedError } from '../payments/payment-gateway.client';
import { FraudSuspectedError, OrderCancelledError } from './order-steps';

/** The options of the steps both order sagas share. */
export const SHARED_STEPS = {
  checkCancellation: { isPermanent: (error) => error instanceof OrderCancelledError },
  assessFraud: { isPermanent: (error) => error instanceof FraudSuspectedError },
  /**
   * A decline is final (no retry); a gateway that is down is retried with a durable backoff, long
   * enough to ride out an outage (about 90 s) instead of cancelling the order.
   */
  chargePayment: {
    isPermanent: (error) => error instanceof PaymentDeclinedError,
    retry: { attempts: 10, backoffMs: 1_000, maxBackoffMs: 15_000 },
  },
} satisfies Record<string, SagaStepOptions>;
