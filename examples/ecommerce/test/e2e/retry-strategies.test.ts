import { CircuitBreakerService } from '@sagaline/circuit-breaker';
import type { RunRecord } from '@sagaline/embedded-engine';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BREAKERS } from '../../src/integrations/circuit-breakers';
import { openStepOutput } from '../../src/privacy/inngest-encryption';
import { PiiCipher } from '../../src/privacy/pii-cipher';
import { callSimulator, type FaultSettings } from '../../src/simulators';
import { type Backend, orderBody, startTestShop, type TestShop, waitFor } from '../support/test-shop';

/** What the saga memoizes for each attempt of a step. */
type Attempt = { ok: boolean; name?: string; message?: string; retryAfterMs?: number };

// One order per failure type, each scripted with the simulators' `nextFaults` (the faults of their
// next requests, in order), as the README's "Retry strategies" does with curl.
describe.each<Backend>(['pglite'])('retry strategies by failure type on %s', (backend) => {
  let shop: TestShop;
  beforeAll(async () => {
    shop = await startTestShop(backend);
    return () => shop?.close();
  });
  // each test starts from closed breakers and simulators without faults
  beforeEach(async () => {
    const breakers = shop.app.get(CircuitBreakerService);
    await Promise.all(Object.values(BREAKERS).map((name) => breakers.reset(name)));
  });
  afterEach(async () => {
    await callSimulator(`${shop.settings.paymentGatewayUrl}/__control`, undefined, { method: 'DELETE' });
    await callSimulator(`${shop.settings.carrierUrl}/__control`, undefined, { method: 'DELETE' });
  });

  const place = async () => {
    const { status, body } = await shop.request('POST', '/orders', { body: orderBody() });
    expect(status).toBe(202);
    return body.id as string;
  };
  const stock = async (productId: string) => (await shop.request('GET', `/inventory/${productId}`)).body;
  const faults = async (service: 'paymentGateway' | 'carrier') => {
    const url = service === 'paymentGateway' ? shop.settings.paymentGatewayUrl : shop.settings.carrierUrl;
    return (await callSimulator(`${url}/__control`)).body as FaultSettings;
  };
  const breakerCalls = (breaker: string, outcome: string) =>
    shop.metric('circuit_breaker_calls_total', { name: breaker, outcome });

  const sagaRun = async (orderId: string): Promise<RunRecord> => {
    const runs = await shop.engine.listRuns({ functionId: 'order-processing' });
    const run = runs.find((candidate) => (candidate.event.data as { orderId: string }).orderId === orderId);
    if (!run) throw new Error(`Order ${orderId} has no order-processing run.`);
    return run;
  };

  /** A memoized step output, opened: the shop's Inngest middleware seals every one of them. */
  const opened = (output: unknown) => openStepOutput(shop.app.get(PiiCipher), output) as Attempt;

  /**
   * A step's attempts as the saga memoized them, and for each retry how long after the failed
   * attempt ended the durable sleep before the next one ended: at least the delay requested.
   */
  const attemptsOf = (run: RunRecord, stepId: string) => {
    const attempts = run.timeline.filter(
      (step) => step.name.startsWith(stepId) && /^(#\d+)?$/.test(step.name.slice(stepId.length)),
    );
    const sleeps = run.timeline.filter((step) => step.name.startsWith(`${stepId}#backoff-`));
    return {
      outputs: attempts.map((attempt) => opened(attempt.output)),
      sleptAtLeast: sleeps.map((sleep, i) => sleep.endedAt! - attempts[i]!.endedAt!),
    };
  };

  it('retries a network error with exponential backoff, and the order ships', async () => {
    const failuresBefore = await breakerCalls(BREAKERS.paymentGateway, 'failure');
    await shop.control('paymentGateway', { nextFaults: ['network-error', 'network-error'] });
    const id = await place();
    const order = await shop.settled(id);

    expect(order.status).toBe('shipped');
    expect(order.payment).toMatchObject({ status: 'processed', amount: 1999 });
    const charge = attemptsOf(await sagaRun(id), 'charge-payment');
    expect(charge.outputs).toEqual([
      expect.objectContaining({ ok: false, name: 'ServiceUnreachableError' }),
      expect.objectContaining({ ok: false, name: 'ServiceUnreachableError' }),
      expect.objectContaining({ ok: true }),
    ]);
    // no delay named: THROUGH_A_BREAKER's backoff, 1 s then 2 s
    expect(charge.outputs.some((attempt) => attempt.retryAfterMs !== undefined)).toBe(false);
    expect(charge.sleptAtLeast[0]).toBeGreaterThanOrEqual(1_000);
    expect(charge.sleptAtLeast[1]).toBeGreaterThanOrEqual(2_000);
    // a connection that breaks is the gateway being unwell: both count against its breaker
    expect(await breakerCalls(BREAKERS.paymentGateway, 'failure')).toBe(failuresBefore + 2);
  });

  it('retries a lost reply with the same idempotency key: the card is charged once', async () => {
    const chargesBefore = shop.services.paymentGateway!.charges.size;
    await shop.control('paymentGateway', { nextFaults: ['lost-reply'] });
    const id = await place();
    const order = await shop.settled(id);

    expect(order.status).toBe('shipped');
    const charge = attemptsOf(await sagaRun(id), 'charge-payment');
    expect(charge.outputs.map((attempt) => attempt.name ?? 'ok')).toEqual(['ServiceUnreachableError', 'ok']);
    // the gateway took the first request, and answered the retry with the charge it made then
    expect(shop.services.paymentGateway!.charges.size).toBe(chargesBefore + 1);
    expect(shop.services.paymentGateway!.charges.get(order.payment!.chargeId as string)).toMatchObject({
      amount: 1999,
    });
  });

  it("waits a 429's Retry-After before the next attempt, and the breaker does not count it", async () => {
    const before = {
      failure: await breakerCalls(BREAKERS.paymentGateway, 'failure'),
      ignored: await breakerCalls(BREAKERS.paymentGateway, 'ignored'),
    };
    // 3 s: neither the first backoff (1 s) nor the second (2 s)
    await shop.control('paymentGateway', { nextFaults: ['rate-limited'], retryAfterSeconds: 3 });
    const id = await place();

    // the durable sleep the saga asked for, while it is pending
    const { run, sleep } = await waitFor('the charge to sleep before its second attempt', async () => {
      const run = await sagaRun(id).catch(() => undefined);
      const sleep = run?.pending.find(
        (work) => work.kind === 'sleep' && work.name === 'charge-payment#backoff-1',
      );
      return run && sleep && { run, sleep };
    });
    const [failed] = attemptsOf(run, 'charge-payment').outputs;
    expect(failed).toMatchObject({ ok: false, name: 'RateLimitedError', retryAfterMs: 3_000 });
    const failedAt = run.timeline.find((step) => step.name === 'charge-payment')!.endedAt!;
    expect(sleep.dueAt - failedAt).toBeGreaterThanOrEqual(3_000);

    const order = await shop.settled(id);
    expect(order.status).toBe('shipped');
    expect(attemptsOf(await sagaRun(id), 'charge-payment').outputs.map((attempt) => attempt.ok)).toEqual([
      false,
      true,
    ]);
    // the gateway is well and was limiting us: ignored by the breaker, which stays closed
    expect(await breakerCalls(BREAKERS.paymentGateway, 'ignored')).toBe(before.ignored + 1);
    expect(await breakerCalls(BREAKERS.paymentGateway, 'failure')).toBe(before.failure);
    expect(shop.app.get(CircuitBreakerService).get(BREAKERS.paymentGateway).state).toBe('closed');
  });

  it('retries a 5xx with backoff, counting it against the breaker', async () => {
    const failuresBefore = await breakerCalls(BREAKERS.paymentGateway, 'failure');
    await shop.control('paymentGateway', { nextFaults: ['server-error'] });
    const id = await place();
    const order = await shop.settled(id);

    expect(order.status).toBe('shipped');
    const charge = attemptsOf(await sagaRun(id), 'charge-payment');
    expect(charge.outputs.map((attempt) => attempt.name ?? 'ok')).toEqual(['PaymentGatewayError', 'ok']);
    expect(charge.outputs[0]!.retryAfterMs).toBeUndefined();
    expect(charge.sleptAtLeast[0]).toBeGreaterThanOrEqual(1_000);
    expect(await breakerCalls(BREAKERS.paymentGateway, 'failure')).toBe(failuresBefore + 1);
  });

  it('does not retry a permanent failure: one call to the gateway, the order cancelled, stock released', async () => {
    const before = {
      stock: await stock('widget'),
      ignored: await breakerCalls(BREAKERS.paymentGateway, 'ignored'),
    };
    // the 403, then a sentinel: a second request to the gateway would take it from the script
    await shop.control('paymentGateway', {
      nextFaults: ['permanent-failure', 'server-error'],
      permanentFailureStatus: 403,
    });
    const id = await place();
    const order = await shop.settled(id);

    expect(order.status).toBe('cancelled');
    expect(order.cancellation).toMatchObject({ reason: 'pipeline_error', refunded: false });
    expect(order.cancellation?.detail).toContain(
      'The payment gateway refused the request with 403 (simulated_permanent_failure)',
    );
    expect(order.payment).toBeUndefined();
    expect(order.reservation?.status).toBe('released');
    expect(await stock('widget')).toEqual(before.stock);
    // exactly one charge attempt, no backoff, and the gateway saw one request
    const run = await sagaRun(id);
    expect(attemptsOf(run, 'charge-payment').outputs).toEqual([
      expect.objectContaining({ ok: false, name: 'ServiceRefusedError' }),
    ]);
    expect(run.timeline.some((step) => step.name.startsWith('charge-payment#'))).toBe(false);
    expect((await faults('paymentGateway')).nextFaults).toEqual(['server-error']);
    expect(await breakerCalls(BREAKERS.paymentGateway, 'ignored')).toBe(before.ignored + 1);
  });

  it('tells a refused shipment request from a refused address: cancelled, refunded, stock released', async () => {
    const before = await stock('widget');
    // a 422 like the carrier's `address_undeliverable`, but a refusal of the request
    await shop.control('carrier', {
      nextFaults: ['permanent-failure', 'server-error'],
      permanentFailureStatus: 422,
    });
    const id = await place();
    const order = await shop.settled(id);

    expect(order.status).toBe('cancelled');
    expect(order.cancellation).toMatchObject({ reason: 'pipeline_error', refunded: true });
    expect(order.cancellation?.detail).toContain('The carrier refused the request with 422');
    expect(order.payment?.status).toBe('refunded');
    expect(await stock('widget')).toEqual(before);
    const run = await sagaRun(id);
    expect(attemptsOf(run, 'prepare-shipment').outputs).toEqual([
      expect.objectContaining({ ok: false, name: 'ServiceRefusedError' }),
    ]);
    expect((await faults('carrier')).nextFaults).toEqual(['server-error']);
  });

  it("waits the carrier's Retry-After too, and the order ships", async () => {
    await shop.control('carrier', { nextFaults: ['rate-limited'], retryAfterSeconds: 2 });
    const id = await place();
    const order = await shop.settled(id);

    expect(order.status).toBe('shipped');
    const label = attemptsOf(await sagaRun(id), 'prepare-shipment');
    expect(label.outputs).toEqual([
      expect.objectContaining({ ok: false, name: 'RateLimitedError', retryAfterMs: 2_000 }),
      expect.objectContaining({ ok: true }),
    ]);
    expect(label.sleptAtLeast[0]).toBeGreaterThanOrEqual(2_000);
  });
});
