import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { CircuitBreakerService } from '@sagaline/circuit-breaker';
import { NonRetriableError } from 'inngest';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BREAKERS, businessError, circuitBreakerOptions } from '../../src/integrations/circuit-breakers';
import {
  PaymentDeclinedError,
  PaymentGatewayClient,
  PaymentGatewayError,
} from '../../src/payments/payment-gateway.client';
import { type PaymentGatewaySimulator, startPaymentGateway } from '../../src/simulators';

// The shop's breaker options on a real breaker, in front of the simulated gateway over HTTP.
describe('the payment gateway client behind its circuit breaker', () => {
  let gateway: PaymentGatewaySimulator;
  let breakers: CircuitBreakerService;
  let client: PaymentGatewayClient;

  beforeAll(async () => {
    Logger.overrideLogger(false); // the breakers log their transitions
    gateway = await startPaymentGateway();
  });
  afterAll(() => gateway.close());
  beforeEach(() => {
    const config = { breakerOpenMs: 60_000, httpTimeoutMs: 2_000, breakerKeyPrefix: 'unused' };
    breakers = new CircuitBreakerService(circuitBreakerOptions(config, new Registry()));
    client = new PaymentGatewayClient(gateway.url, breakers.breaker(BREAKERS.paymentGateway));
  });

  let key = 0;
  const charge = (token: string) =>
    client.charge({ amount: 1999, currency: 'usd', token, idempotencyKey: `unit-${++key}` });

  it('leaves the breaker closed however many cards are declined', async () => {
    for (let i = 0; i < 10; i++) {
      await expect(charge('tok_chargeDeclined')).rejects.toBeInstanceOf(PaymentDeclinedError);
    }
    expect(breakers.get(BREAKERS.paymentGateway)).toMatchObject({ state: 'closed', stats: { calls: 0 } });
  });

  it('opens after five failed calls, then rejects calls without making them', async () => {
    gateway.faults.update({ outage: true });
    try {
      for (let i = 0; i < 5; i++) {
        await expect(charge('tok_visa')).rejects.toBeInstanceOf(PaymentGatewayError);
      }
      expect(breakers.get(BREAKERS.paymentGateway).state).toBe('open');
      gateway.faults.update({ outage: false });
      // the gateway would answer now, but the breaker does not call it for another minute
      await expect(charge('tok_visa')).rejects.toMatchObject({
        code: 'CIRCUIT_OPEN',
        breaker: 'payment-gateway',
      });
      expect(gateway.charges.size).toBe(0);
    } finally {
      gateway.faults.update({ outage: false });
    }
  });

  it("gives up at the breaker's timeout and aborts the request it was waiting on", async () => {
    let closedByClient!: () => void;
    const aborted = new Promise<void>((resolve) => {
      closedByClient = resolve;
    });
    const silent = http.createServer((req) => req.on('close', closedByClient)); // never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const config = { breakerOpenMs: 60_000, httpTimeoutMs: 100, breakerKeyPrefix: 'unused' };
      const quick = new CircuitBreakerService(circuitBreakerOptions(config, new Registry()));
      const { port } = silent.address() as AddressInfo;
      const slowClient = new PaymentGatewayClient(
        `http://127.0.0.1:${port}`,
        quick.breaker(BREAKERS.paymentGateway),
      );
      await expect(
        slowClient.charge({ amount: 1, currency: 'usd', token: 'tok_visa', idempotencyKey: 'timeout-1' }),
      ).rejects.toMatchObject({ code: 'CIRCUIT_TIMEOUT', breaker: 'payment-gateway', timeoutMs: 100 });
      await aborted; // the server saw the client hang up: the request did not linger
      expect(quick.get(BREAKERS.paymentGateway).stats.failures).toBe(1);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('takes a decline out of the NonRetriableError the breaker wraps it in inside Inngest', () => {
    const declined = new PaymentDeclinedError('card_declined', 'Your card was declined.');
    expect(businessError(new NonRetriableError(declined.message, { cause: declined }))).toBe(declined);
    expect(businessError(declined)).toBe(declined);
    const down = new PaymentGatewayError(503, 'The service is down.');
    expect(businessError(down)).toBe(down);
  });
});
