import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  callSimulator as call,
  controlSimulator as control,
  FaultInjector,
  type PaymentGatewaySimulator,
  startPaymentGateway,
} from '../../src/simulators';

const CHARGE = { amount: 1500, currency: 'USD', source: 'tok_visa' };

/** A `random` that returns `values` in turn. */
const sequence = (...values: number[]) => {
  let next = 0;
  return () => values[next++ % values.length];
};

describe('the fault knobs of a simulated service, over HTTP', () => {
  let gateway: PaymentGatewaySimulator;
  beforeAll(async () => {
    gateway = await startPaymentGateway();
  });
  afterAll(() => gateway.close());
  afterEach(async () => {
    const reset = await call(`${gateway.url}/__control`, undefined, { method: 'DELETE' });
    expect(reset.body).toEqual(new FaultInjector().current);
  });

  const chargesOf = (amount: number) =>
    [...gateway.charges.values()].filter((charge) => charge.amount === amount);

  it('network error: destroys the socket without a reply, and charges nothing', async () => {
    await control(gateway.url, { networkErrorRate: 1 });
    const amount = 1501;
    await expect(call(`${gateway.url}/v1/charges`, { ...CHARGE, amount }, { key: 'net-1' })).rejects.toThrow(
      'fetch failed',
    );
    expect(chargesOf(amount)).toHaveLength(0);
  });

  it('lost reply: charges and records the answer, destroys the socket, and a retry with the key gets the charge', async () => {
    await control(gateway.url, { nextFaults: ['lost-reply'] });
    const amount = 1502;
    await expect(call(`${gateway.url}/v1/charges`, { ...CHARGE, amount }, { key: 'lost-1' })).rejects.toThrow(
      'fetch failed',
    );
    const [charged] = chargesOf(amount);
    expect(charged).toBeDefined();
    const retry = await call(`${gateway.url}/v1/charges`, { ...CHARGE, amount }, { key: 'lost-1' });
    expect(retry.status).toBe(201);
    expect(retry.body.id).toBe(charged.id);
    expect(chargesOf(amount)).toHaveLength(1);
  });

  it('rate limited: 429 with a Retry-After header in seconds', async () => {
    await control(gateway.url, { rateLimitRate: 1, retryAfterSeconds: 7 });
    const answer = await call(`${gateway.url}/v1/charges`, CHARGE);
    expect(answer.status).toBe(429);
    expect(answer.headers.get('retry-after')).toBe('7');
    expect(answer.body.error.code).toBe('rate_limited');
  });

  it('permanent failure: the configured 4xx, code simulated_permanent_failure, nothing charged', async () => {
    await control(gateway.url, { permanentFailureRate: 1, permanentFailureStatus: 402 });
    const amount = 1503;
    const answer = await call(`${gateway.url}/v1/charges`, { ...CHARGE, amount });
    expect(answer.status).toBe(402);
    expect(answer.body.error.code).toBe('simulated_permanent_failure');
    expect(chargesOf(amount)).toHaveLength(0);
  });

  it('server error: 500 at the configured rate', async () => {
    await control(gateway.url, { failureRate: 1 });
    expect((await call(`${gateway.url}/v1/charges`, CHARGE)).status).toBe(500);
  });

  it('does not keep a faulted answer for the key: the retry after a 500 or a 429 runs for real', async () => {
    await control(gateway.url, { nextFaults: ['server-error', 'rate-limited'] });
    const amount = 1504;
    const tries = [];
    for (let i = 0; i < 3; i++)
      tries.push(await call(`${gateway.url}/v1/charges`, { ...CHARGE, amount }, { key: 'f-1' }));
    expect(tries.map((answer) => answer.status)).toEqual([500, 429, 201]);
    expect(chargesOf(amount)).toHaveLength(1);
  });

  it('fails the next requests as scripted, in order, then lets them through', async () => {
    const settings = await control(gateway.url, {
      nextFaults: ['unavailable', 'permanent-failure', 'network-error'],
    });
    expect(settings.nextFaults).toHaveLength(3);
    expect((await call(`${gateway.url}/v1/charges`, CHARGE)).status).toBe(503);
    expect((await call(`${gateway.url}/v1/charges`, CHARGE)).status).toBe(400);
    await expect(call(`${gateway.url}/v1/charges`, CHARGE)).rejects.toThrow('fetch failed');
    expect((await call(`${gateway.url}/v1/charges`, CHARGE)).status).toBe(201);
    expect((await call(`${gateway.url}/__control`)).body.nextFaults).toEqual([]);
  });

  it('refuses settings it does not know, or out of range, with 400 naming the field', async () => {
    const unknown = await call(`${gateway.url}/__control`, { networkErrorPercent: 5 }, { method: 'PUT' });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain('networkErrorPercent');
    const status = await call(`${gateway.url}/__control`, { permanentFailureStatus: 503 }, { method: 'PUT' });
    expect(status.status).toBe(400);
    expect(status.body.error.issues[0].path).toEqual(['permanentFailureStatus']);
    const script = await call(`${gateway.url}/__control`, { nextFaults: ['meteor'] }, { method: 'PUT' });
    expect(script.status).toBe(400);
  });
});

describe('FaultInjector.nextFault', () => {
  it('lets a request through when no rate is set', () => {
    expect(new FaultInjector({}, sequence(0)).nextFault()).toBeUndefined();
  });

  it('answers an outage before the script and the rates', () => {
    const faults = new FaultInjector(
      { outage: true, nextFaults: ['network-error'], failureRate: 1 },
      sequence(0),
    );
    expect(faults.nextFault()).toBe('unavailable');
    expect(faults.current.nextFaults).toEqual(['network-error']);
  });

  it('plays the script before the rates', () => {
    const faults = new FaultInjector({ nextFaults: ['rate-limited'], networkErrorRate: 1 }, sequence(0));
    expect(faults.nextFault()).toBe('rate-limited');
    expect(faults.nextFault()).toBe('network-error');
  });

  it('rolls each rate in turn: network error, rate limit, permanent failure, server error, lost reply', () => {
    const rates = {
      networkErrorRate: 0.5,
      rateLimitRate: 0.5,
      permanentFailureRate: 0.5,
      failureRate: 0.5,
      lostReplyRate: 0.5,
    };
    // each roll below 0.5 hits; 0.9 misses
    expect(new FaultInjector(rates, sequence(0.1)).nextFault()).toBe('network-error');
    expect(new FaultInjector(rates, sequence(0.9, 0.1)).nextFault()).toBe('rate-limited');
    expect(new FaultInjector(rates, sequence(0.9, 0.9, 0.1)).nextFault()).toBe('permanent-failure');
    expect(new FaultInjector(rates, sequence(0.9, 0.9, 0.9, 0.1)).nextFault()).toBe('server-error');
    expect(new FaultInjector(rates, sequence(0.9, 0.9, 0.9, 0.9, 0.1)).nextFault()).toBe('lost-reply');
    expect(new FaultInjector(rates, sequence(0.9)).nextFault()).toBeUndefined();
  });

  it('refuses initial settings out of range, naming the field', () => {
    expect(() => new FaultInjector({ rateLimitRate: 2 })).toThrow('rateLimitRate');
  });
});
