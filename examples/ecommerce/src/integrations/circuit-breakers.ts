import { type CircuitBreakerModuleOptions, RedisCircuitStore } from '@sagaline/circuit-breaker';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { ShopConfig } from '../config/shop-config';
import { PaymentDeclinedError } from '../payments/payment-gateway.client';
import { ShipmentRejectedError } from '../shipping/carrier.client';
import { RateLimitedError, ServiceRefusedError } from './http-json';

/** The shop's circuit breakers, by the service they protect. */
export const BREAKERS = { paymentGateway: 'payment-gateway', carrier: 'carrier' } as const;

/** Answers that retrying the same request can never change: a business refusal, or a refused request. */
const declined = (error: unknown) =>
  error instanceof PaymentDeclinedError || error instanceof ServiceRefusedError;
const refused = (error: unknown) =>
  error instanceof ShipmentRejectedError || error instanceof ServiceRefusedError;
/** A `429`: the service is well and asks us to slow down; the saga waits its `Retry-After`. */
const limited = (error: unknown) => error instanceof RateLimitedError;

/**
 * The options of `CircuitBreakerModule`: a breaker for the payment gateway and one for the
 * carrier, open for `BREAKER_OPEN_MS` once half of the last 10 calls (at least 5) failed, with the
 * shared Redis state of every instance of the shop when `REDIS_URL` is set.
 *
 * What counts against a breaker is the service failing: a `5xx`, a broken connection, a timeout.
 * The service answering is not: a card decline, a refused address or another refused request
 * (`4xx`) is permanent (inside Inngest it becomes `NonRetriableError`; see `businessError`), and a
 * `429` is the service limiting us, retried after its `Retry-After` by the saga.
 */
export function circuitBreakerOptions(
  config: Pick<ShopConfig, 'breakerOpenMs' | 'httpTimeoutMs' | 'breakerKeyPrefix'>,
  registry: Registry,
  redis?: Redis,
): CircuitBreakerModuleOptions {
  return {
    registry,
    ...(redis
      ? {
          store: {
            store: new RedisCircuitStore({ redis, keyPrefix: config.breakerKeyPrefix }),
            // decided in process while closed, through Redis once open: cheap, and the fleet opens together
            mode: 'hybrid' as const,
          },
        }
      : {}),
    defaults: {
      slidingWindowType: 'count',
      slidingWindowSize: 10,
      minimumNumberOfCalls: 5,
      failureRateThreshold: 50,
      waitDurationInOpenState: config.breakerOpenMs,
      permittedNumberOfCallsInHalfOpenState: 3,
      timeoutMs: config.httpTimeoutMs,
    },
    breakers: {
      [BREAKERS.paymentGateway]: {
        isFailure: (error) => !declined(error) && !limited(error),
        isPermanent: declined,
      },
      [BREAKERS.carrier]: { isFailure: (error) => !refused(error) && !limited(error), isPermanent: refused },
    },
  };
}

/**
 * The business error a call through a breaker failed with. Inside an Inngest function the breaker
 * hands a permanent error (a decline, a refused shipment or request) over as Inngest's `NonRetriableError`,
 * with the error as its `cause`, so that Inngest stops retrying; code that branches on the
 * business error (and the saga, which names the cancellation reason after it) takes it out here.
 * Matched by name, as the wrapper may come from another copy of `inngest`.
 */
export function businessError(error: unknown): unknown {
  const wrapper = error as { name?: unknown; cause?: unknown } | undefined;
  return wrapper?.name === 'NonRetriableError' && wrapper.cause !== undefined ? wrapper.cause : error;
}
