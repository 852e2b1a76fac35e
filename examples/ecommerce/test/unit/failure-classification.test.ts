import { Logger } from '@nestjs/common';
import { CircuitBreakerService } from '@sagaline/circuit-breaker';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BREAKERS, circuitBreakerOptions } from '../../src/integrations/circuit-breakers';
import {
  RateLimitedError,
  retryAfterMs,
  ServiceRefusedError,
  ServiceUnreachableError,
} from '../../src/integrations/http-json';
import {
  PaymentDeclinedError,
  PaymentGatewayClient,
  PaymentGatewayError,
} from '../../src/payments/payment-gateway.client';
import { CarrierClient, ShipmentRejectedError } from '../../src/shipping/carrier.client';
import {
  type CarrierSimulator,
  type PaymentGatewaySimulator,
  startCarrier,
  startPaymentGateway,
  UNDELIVERABLE_POSTAL_CODE,
} from '../../src/simulators';

describe('a Retry-After header', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');

  it('is read as delay-seconds or as an HTTP date', () => {
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs(' 0 ', now)).toBe(0);
    expect(retryAfterMs('Tue, 01 Jan 2030 00:00:30 GMT', now)).toBe(30_000);
    // a date already past asks for no wait
    expect(retryAfterMs('Mon, 31 Dec 2029 23:59:00 GMT', now)).toBe(0);
  });

  it('names no delay when absent or unreadable', () => {
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs('', now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs('-5', now)).toBeUndefined();
  });
});

// The shop's clients and breaker options, over HTTP, against the simulators' scripted faults.
describe('how the clients classify what the services answer', () => {
  let gateway: PaymentGatewaySimulator;
  let carrier: CarrierSimulator;
  let breakers: CircuitBreakerService;
  let payments: PaymentGatewayClient;
  let shipping: CarrierClient;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    [gateway, carrier] = await Promise.all([startPaymentGateway(), startCarrier()]);
  });
  afterAll(() => Promise.all([gateway?.close(), carrier?.close()]));
  beforeEach(() => {
    const config = { breakerOpenMs: 60_000, httpTimeoutMs: 2_000, breakerKeyPrefix: 'unused' };
    breakers = new CircuitBreakerService(circuitBreakerOptions(config, new Registry()));
    payments = new PaymentGatewayClient(gateway.url, breakers.breaker(BREAKERS.paymentGateway));
    shipping = new CarrierClient(carrier.url, breakers.breaker(BREAKERS.carrier));
  });
  afterEach(() => {
    gateway.faults.reset();
    carrier.faults.reset();
  });

  let key = 0;
  const charge = (token = 'tok_visa') =>
    payments.charge({ amount: 1999, currency: 'usd', token, idempotencyKey: `classify-${++key}` });
  const address = (postalCode = '12345') => ({
    name: 'Ada',
    line1: '1 Loop Road',
    city: 'Springfield',
    postalCode,
    country: 'US',
  });
  const totals = (breaker: string) => breakers.get(breaker).totals;

  it('a 429 carries its Retry-After and does not count against the breaker', async () => {
    gateway.faults.update({ nextFaults: ['rate-limited'], retryAfterSeconds: 7 });
    const error = await charge().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ retryAfterMs: 7_000, code: 'SERVICE_RATE_LIMITED' });
    expect(totals(BREAKERS.paymentGateway)).toMatchObject({ failure: 0, ignored: 1 });
  });

  it('a broken connection is a ServiceUnreachableError that counts against the breaker', async () => {
    gateway.faults.update({ nextFaults: ['network-error'] });
    await expect(charge()).rejects.toBeInstanceOf(ServiceUnreachableError);
    expect(totals(BREAKERS.paymentGateway)).toMatchObject({ failure: 1, ignored: 0 });
  });

  it('a 5xx is a PaymentGatewayError that counts against the breaker', async () => {
    gateway.faults.update({ nextFaults: ['server-error', 'unavailable'] });
    await expect(charge()).rejects.toMatchObject({ name: 'PaymentGatewayError', status: 500 });
    await expect(charge()).rejects.toBeInstanceOf(PaymentGatewayError);
    expect(totals(BREAKERS.paymentGateway)).toMatchObject({ failure: 2 });
  });

  it('another 4xx is a ServiceRefusedError, not a decline, and is not counted', async () => {
    for (const status of [400, 402, 403, 404, 409, 422] as const) {
      gateway.faults.update({ nextFaults: ['permanent-failure'], permanentFailureStatus: status });
      const error = await charge().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceRefusedError);
      expect(error).toMatchObject({ status, reason: 'simulated_permanent_failure', code: 'SERVICE_REFUSED' });
    }
    expect(totals(BREAKERS.paymentGateway)).toMatchObject({ failure: 0, ignored: 6 });
  });

  it('a declined card and an unknown card token stay declines', async () => {
    await expect(charge('tok_chargeDeclined')).rejects.toMatchObject({
      name: 'PaymentDeclinedError',
      declineCode: 'card_declined',
    });
    await expect(charge('tok_nonsense')).rejects.toMatchObject({
      name: 'PaymentDeclinedError',
      declineCode: 'token_invalid',
    });
    await expect(charge('tok_chargeDeclined')).rejects.toBeInstanceOf(PaymentDeclinedError);
  });

  it('the carrier: an undeliverable address is a refused shipment; another 422 a refused request', async () => {
    await expect(
      shipping.createShipment('ord_classify1', address(UNDELIVERABLE_POSTAL_CODE)),
    ).rejects.toBeInstanceOf(ShipmentRejectedError);
    carrier.faults.update({ nextFaults: ['permanent-failure'], permanentFailureStatus: 422 });
    await expect(shipping.createShipment('ord_classify2', address())).rejects.toMatchObject({
      name: 'ServiceRefusedError',
      status: 422,
      reason: 'simulated_permanent_failure',
    });
    carrier.faults.update({ nextFaults: ['rate-limited'], retryAfterSeconds: 3 });
    await expect(shipping.createShipment('ord_classify3', address())).rejects.toMatchObject({
      name: 'RateLimitedError',
      retryAfterMs: 3_000,
    });
    expect(totals(BREAKERS.carrier)).toMatchObject({ failure: 0, ignored: 3 });
  });
});
