import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderBody, REDIS_URL, startTestShop, type TestShop, waitFor } from '../support/test-shop';

// Two instances of the shop on one Redis, as two replicas behind a load balancer: each has its own
// database, engine and simulated gateway, and they share only the breakers' state (hybrid mode).
describe('circuit breakers shared through Redis', () => {
  const keyPrefix = `test:shop:circuit:${randomBytes(5).toString('hex')}`;
  const env = { REDIS_URL, BREAKER_KEY_PREFIX: keyPrefix };
  let first: TestShop;
  let second: TestShop;
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(REDIS_URL);
    [first, second] = await Promise.all([startTestShop('pglite', env), startTestShop('pglite', env)]);
  });
  afterAll(async () => {
    await Promise.all([first?.close(), second?.close()]);
    const keys = await redis.keys(`${keyPrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  const place = async (shop: TestShop) => {
    const { status, body } = await shop.request('POST', '/orders', { body: orderBody() });
    expect(status).toBe(202);
    return body.id as string;
  };

  it('an outage seen by one instance opens the payment breaker of the other', async () => {
    await first.control('paymentGateway', { outage: true });
    let ids: string[];
    try {
      ids = await Promise.all(Array.from({ length: 6 }, () => place(first)));
      // the second instance made no call to any gateway: it learns of the outage from Redis
      const seen = await waitFor('the second instance to report the payment breaker open', async () => {
        const health = await second.breakerHealth();
        return health.check.open.includes('payment-gateway') && health;
      });
      expect(seen).toMatchObject({ status: 503, check: { status: 'down', open: ['payment-gateway'] } });
      expect(
        await second.metric('circuit_breaker_calls_total', { name: 'payment-gateway', outcome: 'failure' }),
      ).toBe(0);
      expect(['open', 'half_open']).toContain(await redis.hget(`${keyPrefix}:payment-gateway`, 'state'));
    } finally {
      await first.control('paymentGateway', { outage: false });
    }

    for (const id of ids) expect((await first.settled(id)).status).toBe('shipped');
    // the probes of the first instance closed the shared breaker; the second follows
    await waitFor('the second instance to report the payment breaker closed', async () => {
      const health = await second.breakerHealth();
      return health.check.breakers['payment-gateway'] === 'closed';
    });
    expect((await second.settled(await place(second))).status).toBe('shipped');
  }, 60_000);
});
