import { CircuitBreakerService } from '@sagaline/circuit-breaker';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ShopAlert } from '../../src/alerts/shop-alert';
import { BREAKERS } from '../../src/integrations/circuit-breakers';
import { callSimulator } from '../../src/simulators';
import { allRules, exposedMetricNames, metricNames } from '../support/alert-rules';
import { type Backend, orderBody, startTestShop, type TestShop, waitFor } from '../support/test-shop';

// A saga is stalled after 2 s without progress, and the scan looks every second (the embedded
// engine takes a seconds field), so a stall shows within seconds instead of minutes.
describe.each<Backend>(['pglite', 'postgres'])('alerting on %s', (backend) => {
  let shop: TestShop;
  beforeAll(async () => {
    shop = await startTestShop(backend, { SAGA_STALL_AFTER: '2s', SAGA_STALL_SCAN: '* * * * * *' });
    return () => shop?.close();
  });
  afterEach(async () => {
    await callSimulator(`${shop.settings.paymentGatewayUrl}/__control`, undefined, { method: 'DELETE' });
    await callSimulator(`${shop.settings.carrierUrl}/__control`, undefined, { method: 'DELETE' });
    shop.services.alertSink?.faults.reset();
    const breakers = shop.app.get(CircuitBreakerService);
    await Promise.all(Object.values(BREAKERS).map((name) => breakers.reset(name)));
  });

  const place = async () => {
    const { status, body } = await shop.request('POST', '/orders', { body: orderBody() });
    expect(status).toBe(202);
    return body.id as string;
  };
  /** The alerts the sink holds for an order, of one kind. */
  const alertsAt = (kind: ShopAlert['kind'], orderId: string) =>
    (shop.services.alertSink?.alerts ?? [])
      .map((received) => received.body as ShopAlert)
      .filter((alert) => alert.kind === kind && alert.businessKey === orderId);
  /** The alert's delivery run, once it has ended. */
  const deliveryOf = (dedupeKey: string) =>
    waitFor(`the delivery of ${dedupeKey} to end`, async () => {
      const runs = await shop.engine.listRuns({ functionId: 'deliver-alert' });
      const mine = runs.filter((run) => run.event.id === dedupeKey); // the alert key is the event id
      return mine.length > 0 && mine.every((run) => run.status !== 'running') && mine;
    });
  const failedPosts = async () =>
    (await shop.metric('shop_alert_deliveries_total', { kind: 'compensation_failed', outcome: 'failed' })) +
    (await shop.metric('shop_alert_deliveries_total', { kind: 'saga_stalled', outcome: 'failed' }));

  it('alerts once when a compensation fails for good, through a webhook that fails twice, and counts it', async () => {
    const before = {
      failures: await shop.metric('shop_saga_compensation_failures_total', { saga: 'order-processing' }),
      failedPosts: await failedPosts(),
    };
    // the carrier is down, so the saga waits after the charge...
    await shop.control('carrier', { outage: true });
    const id = await place();
    await shop.reaches(id, 'confirmed', 'acme', (order) => order.payment?.status === 'processed');
    // ...then the gateway rate-limits every request (Retry-After: 0, so the 20 attempts of the
    // refund go by at once) and the carrier refuses the label: the refund fails for good
    await shop.control('paymentGateway', { rateLimitRate: 1, retryAfterSeconds: 0 });
    // the sink stores the first post but its reply is lost, then fails the next with a 500
    shop.services.alertSink?.faults.update({ nextFaults: ['lost-reply', 'server-error'] });
    await shop.control('carrier', {
      outage: false,
      nextFaults: ['permanent-failure'],
      permanentFailureStatus: 422,
    });

    const order = await shop.settled(id);
    expect(order.status).toBe('failed');
    const [saga] = order.sagas;
    expect(saga).toMatchObject({ sagaId: 'order-processing', status: 'compensation_failed' });

    const [run] = await deliveryOf(`compensation_failed:${saga?.runId}`);
    expect(run?.status).toBe('completed');
    const alerts = alertsAt('compensation_failed', id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toEqual({
      dedupeKey: `compensation_failed:${saga?.runId}`,
      kind: 'compensation_failed',
      severity: 'critical',
      summary: expect.stringContaining(`Saga order-processing (order ${id}) could not undo charge-payment`),
      sagaId: 'order-processing',
      runId: saga?.runId,
      businessKey: id,
      tenantId: 'acme',
      step: 'charge-payment',
      error: expect.stringContaining(
        'charge-payment: RateLimitedError: The payment gateway is limiting our requests (429)',
      ),
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(await shop.metric('shop_saga_compensation_failures_total', { saga: 'order-processing' })).toBe(
      before.failures + 1,
    );
    // the sink's two faults hit the next posts (this alert's, or a stall alert's of the same order
    // while the carrier was down) and each post was retried: no key is in the sink twice
    expect(shop.services.alertSink?.faults.current.nextFaults).toEqual([]);
    expect(await failedPosts()).toBe(before.failedPosts + 2);
    await Promise.all(alertsAt('saga_stalled', id).map((alert) => deliveryOf(alert.dedupeKey)));
    const keys = (shop.services.alertSink?.alerts ?? []).map(
      (received) => (received.body as ShopAlert).dedupeKey,
    );
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('alerts once for a saga stalled by a gateway that keeps limiting it, and shows it in the gauge until it moves on', async () => {
    // every charge attempt is answered 429 Retry-After: 3 s, so the saga retries the same step
    // for a minute: no progress
    await shop.control('paymentGateway', { rateLimitRate: 1, retryAfterSeconds: 3 });
    const id = await place();

    const [alert] = await waitFor('a saga_stalled alert for the order', async () => {
      const found = alertsAt('saga_stalled', id);
      return found.length > 0 && found;
    });
    expect(alert).toEqual({
      dedupeKey: expect.stringMatching(/^saga_stalled:\w+:\d+$/),
      kind: 'saga_stalled',
      severity: 'warning',
      summary: expect.stringContaining(`Saga order-processing (order ${id}) has made no progress for`),
      sagaId: 'order-processing',
      runId: expect.any(String),
      businessKey: id,
      tenantId: 'acme',
      step: 'charge-payment',
      error: expect.stringContaining('RateLimitedError: The payment gateway is limiting our requests (429)'),
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      lastProgressAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(await shop.metric('shop_sagas_stalled', { saga: 'order-processing' })).toBeGreaterThanOrEqual(1);

    // later scans see the same stall and raise nothing new
    const scans = async () =>
      (await shop.engine.listRuns({ functionId: 'saga-stall-scan', status: 'completed' })).length;
    const scansSoFar = await scans();
    await waitFor('two more stall scans', async () => (await scans()) >= scansSoFar + 2);
    await deliveryOf(alert?.dedupeKey as string);
    expect(alertsAt('saga_stalled', id)).toHaveLength(1);

    await shop.control('paymentGateway', { rateLimitRate: 0 });
    const order = await shop.settled(id);
    expect(order.status).toBe('shipped');
    await waitFor(
      'the stalled gauge back at 0',
      async () => (await shop.metric('shop_sagas_stalled', { saga: 'order-processing' })) === 0,
    );
  });

  it('exports every metric the Prometheus alerting rules read', async () => {
    const { status, body } = await shop.request('GET', '/metrics', { tenant: null });
    expect(status).toBe(200);
    const exposed = exposedMetricNames(body as string);
    for (const rule of allRules()) {
      for (const name of metricNames(rule.expr))
        expect(exposed, `${rule.alert} reads ${name}`).toContain(name);
    }
    // every saga has its series from the start, so the first failure is an increase
    expect(body).toContain('shop_saga_compensation_failures_total{saga="order-backorder"}');
    expect(body).toMatch(/^shop_outbox_backlog \d+$/m);
  });
});
