import type { SagaState } from '@sagaline/saga';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AlertWebhookClient, AlertWebhookError } from '../../src/alerts/alert-webhook.client';
import { compensationFailedAlert } from '../../src/alerts/compensation-failure-alerts';
import type { ShopAlert } from '../../src/alerts/shop-alert';
import { attemptsOf, currentSteps, stalledSagaAlert } from '../../src/alerts/stalled-saga';
import { ShopMetrics } from '../../src/metrics/shop-metrics';
import { type AlertSink, startAlertSink } from '../../src/simulators';

const MINUTE = 60_000;
const T0 = Date.parse('2026-01-01T10:00:00Z');

/** A saga as `SagaService` returns it, at the charge of the order saga since T0. */
function sagaState(overrides: Partial<SagaState> = {}): SagaState {
  return {
    sagaId: 'order-processing',
    runId: 'run-1',
    businessKey: 'ord_1',
    status: 'running',
    startedSteps: ['reserve-inventory', 'charge-payment'],
    completedSteps: ['reserve-inventory'],
    compensatedSteps: [],
    results: {},
    compensationFailures: [],
    timings: {},
    startedAt: T0 - MINUTE,
    updatedAt: T0,
    event: { name: 'order.ready', data: { orderId: 'ord_1', tenantId: 'acme' } },
    ...overrides,
  };
}

const STEPS = {
  steps: [
    {
      id: 'reserve-inventory',
      action: { kind: 'run' as const, run: () => undefined },
      compensate: () => undefined,
    },
    {
      id: 'charge-payment',
      action: { kind: 'run' as const, run: () => undefined },
      compensate: () => undefined,
    },
    {
      id: 'await-restock',
      action: { kind: 'waitForEvent' as const, event: 'inventory.restocked', timeout: '2m' },
    },
    { id: 'notify', action: { kind: 'run' as const, run: () => undefined } },
  ],
};
const failedAttempt = (message: string) => ({ ok: false, name: 'RateLimitedError', message });

describe('stalledSagaAlert', () => {
  const check = { definition: STEPS, now: T0 + 11 * MINUTE, stallAfterMs: 10 * MINUTE };

  it('leaves a saga alone until it has made no progress for the stall time', () => {
    expect(stalledSagaAlert(sagaState(), { ...check, now: T0 + 9 * MINUTE })).toBeUndefined();
    expect(stalledSagaAlert(sagaState(), check)).toBeDefined();
  });

  it('names the stuck step, its last error, the order and the tenant, keyed by run and last progress', () => {
    const timeline = [
      { name: 'reserve-inventory', output: { ok: true, value: {} } },
      { name: 'charge-payment', output: failedAttempt('first') },
      { name: 'charge-payment#backoff-1' },
      { name: 'charge-payment#2', output: failedAttempt('429, retry after 3000 ms') },
    ];
    expect(stalledSagaAlert(sagaState(), { ...check, timeline })).toEqual({
      dedupeKey: `saga_stalled:run-1:${T0}`,
      kind: 'saga_stalled',
      severity: 'warning',
      summary:
        'Saga order-processing (order ord_1) has made no progress for 660 s, at charge-payment: RateLimitedError: 429, retry after 3000 ms',
      sagaId: 'order-processing',
      runId: 'run-1',
      businessKey: 'ord_1',
      tenantId: 'acme',
      step: 'charge-payment',
      error: 'RateLimitedError: 429, retry after 3000 ms',
      at: new Date(check.now).toISOString(),
      lastProgressAt: new Date(T0).toISOString(),
    });
  });

  it('opens step outputs the app sealed, and falls back to the count of attempts when it cannot', () => {
    const timeline = [
      { name: 'charge-payment', output: { sealed: 'x' } },
      { name: 'charge-payment#2', output: { sealed: 'y' } },
    ];
    const open = (output: unknown) =>
      (output as { sealed: string }).sealed === 'y' ? failedAttempt('opened') : output;
    expect(stalledSagaAlert(sagaState(), { ...check, timeline, readOutput: open })?.error).toBe(
      'RateLimitedError: opened',
    );
    expect(stalledSagaAlert(sagaState(), { ...check, timeline })?.error).toBe(
      '2 attempt(s) of charge-payment so far, none succeeded',
    );
  });

  it('does not count a wait at one of the saga’s own waitForEvent steps as a stall', () => {
    const waiting = sagaState({ startedSteps: ['reserve-inventory', 'await-restock'] });
    expect(stalledSagaAlert(waiting, check)).toBeUndefined();
  });

  it('reports a saga past its pivot that waits for an operator, with the failure it recorded', () => {
    const parked = sagaState({
      startedSteps: ['reserve-inventory', 'charge-payment', 'notify'],
      completedSteps: ['reserve-inventory', 'charge-payment'],
      failure: { stepId: 'notify', name: 'ServiceRefusedError', message: 'refused' },
    });
    expect(stalledSagaAlert(parked, check)).toMatchObject({
      step: 'notify',
      error: 'ServiceRefusedError: refused',
    });
  });

  it('reports a compensation that keeps failing at that compensation, and ignores sagas that ended', () => {
    const compensating = sagaState({
      status: 'compensating',
      failure: { stepId: 'charge-payment', name: 'ShipmentRejectedError', message: 'no' },
    });
    const timeline = [{ name: 'compensate:charge-payment#4', output: failedAttempt('refund refused') }];
    expect(stalledSagaAlert(compensating, { ...check, timeline })).toMatchObject({
      step: 'charge-payment',
      error: 'RateLimitedError: refund refused',
      summary: expect.stringContaining('compensating charge-payment'),
    });
    for (const status of [
      'completed',
      'compensated',
      'compensation_failed',
      'cancelled',
      'stalled',
    ] as const) {
      expect(stalledSagaAlert(sagaState({ status }), check)).toBeUndefined();
    }
  });
});

describe('currentSteps and attemptsOf', () => {
  it('lists the members of a parallel group still running', () => {
    const state = sagaState({ startedSteps: ['a', 'b', 'c'], completedSteps: ['a'] });
    expect(currentSteps(state)).toEqual(['b', 'c']);
  });

  it('counts a step’s attempts and retry rounds, not its backoffs nor another step with the same prefix', () => {
    const timeline = [
      { name: 'charge', output: failedAttempt('1') },
      { name: 'charge#backoff-1' },
      { name: 'charge#2', output: failedAttempt('2') },
      { name: 'charge:retry-1', output: failedAttempt('3') },
      { name: 'charge-payment', output: failedAttempt('other') },
    ];
    expect(attemptsOf(timeline, 'charge', false)).toEqual({ attempts: 3, lastError: 'RateLimitedError: 3' });
    expect(attemptsOf(timeline, 'charge', true)).toEqual({ attempts: 0 });
  });
});

describe('compensationFailedAlert', () => {
  it('names every compensation that failed, with its error, keyed by the run', () => {
    const alert = compensationFailedAlert(
      {
        sagaId: 'order-processing',
        runId: 'run-9',
        businessKey: 'ord_9',
        tenantId: 'globex',
        failure: { stepId: 'prepare-shipment', name: 'ServiceRefusedError', message: 'refused' },
        compensationFailures: [
          { stepId: 'prepare-shipment', name: 'CarrierError', message: 'void failed' },
          { stepId: 'charge-payment', name: 'RateLimitedError', message: '429' },
        ],
      },
      T0,
    );
    expect(alert).toEqual({
      dedupeKey: 'compensation_failed:run-9',
      kind: 'compensation_failed',
      severity: 'critical',
      summary:
        'Saga order-processing (order ord_9) could not undo prepare-shipment, charge-payment after prepare-shipment failed: an operator must finish the compensation by hand.',
      sagaId: 'order-processing',
      runId: 'run-9',
      businessKey: 'ord_9',
      tenantId: 'globex',
      step: 'prepare-shipment',
      error: 'prepare-shipment: CarrierError: void failed; charge-payment: RateLimitedError: 429',
      at: new Date(T0).toISOString(),
    });
  });
});

describe('AlertWebhookClient, against the simulated alert sink', () => {
  let sink: AlertSink;
  beforeAll(async () => {
    sink = await startAlertSink();
  });
  afterAll(() => sink.close());
  afterEach(() => sink.faults.reset());

  let counter = 0;
  const alert = (): ShopAlert => {
    counter += 1;
    return {
      ...compensationFailedAlert(
        { sagaId: 'order-processing', runId: `run-${counter}`, compensationFailures: [] },
        T0,
      ),
    };
  };
  const stored = (key: string) =>
    sink.alerts.filter((received) => (received.body as ShopAlert).dedupeKey === key).length;

  it('posts the alert as JSON with its key as Idempotency-Key, and a repeat is recognised, not stored again', async () => {
    const client = new AlertWebhookClient(sink.webhookUrl, 5_000);
    const sent = alert();
    expect(await client.post(sent)).toEqual({ status: 201, duplicate: false });
    expect(await client.post(sent)).toEqual({ status: 201, duplicate: true });
    expect(stored(sent.dedupeKey)).toBe(1);
    expect(sink.alerts.at(-1)?.body).toEqual(sent);
  });

  it('fails a lost reply as retriable, and the retry finds the alert stored once', async () => {
    const client = new AlertWebhookClient(sink.webhookUrl, 5_000);
    const sent = alert();
    sink.faults.update({ nextFaults: ['lost-reply'] });
    const error = await client.post(sent).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AlertWebhookError);
    expect(error).toMatchObject({ code: 'ALERT_WEBHOOK_FAILED', permanent: false, status: undefined });
    expect(await client.post(sent)).toEqual({ status: 201, duplicate: true });
    expect(stored(sent.dedupeKey)).toBe(1);
  });

  it('tells a refused alert (4xx) from a failing webhook (5xx) and a limiting one (429)', async () => {
    const client = new AlertWebhookClient(sink.webhookUrl, 5_000);
    sink.faults.update({
      nextFaults: ['permanent-failure', 'server-error', 'rate-limited'],
      retryAfterSeconds: 7,
    });
    await expect(client.post(alert())).rejects.toMatchObject({ status: 400, permanent: true });
    await expect(client.post(alert())).rejects.toMatchObject({ status: 500, permanent: false });
    await expect(client.post(alert())).rejects.toMatchObject({
      status: 429,
      permanent: false,
      retryAfterMs: 7_000,
    });
  });

  it('gives up on a webhook that does not answer within its timeout', async () => {
    sink.faults.update({ latencyMs: 2_000 });
    const error = await new AlertWebhookClient(sink.webhookUrl, 50)
      .post(alert())
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      permanent: false,
      message: expect.stringContaining('no answer within 50 ms'),
    });
  });
});

describe('ShopMetrics for the alerting rules', () => {
  it('exports a zero series per known saga, then the counts, and the outbox backlog when scraped', async () => {
    const metrics = new ShopMetrics();
    metrics.knowSagas(['order-processing', 'order-backorder']);
    let backlog = 3;
    metrics.trackOutboxBacklog(async () => backlog);
    let text = await metrics.registry.metrics();
    expect(text).toContain('shop_saga_compensation_failures_total{saga="order-backorder"} 0');
    expect(text).toContain('shop_sagas_stalled{saga="order-processing"} 0');
    expect(text).toContain('shop_alert_deliveries_total{kind="saga_stalled",outcome="failed"} 0');
    expect(text).toContain('shop_outbox_backlog 3');

    metrics.countCompensationFailure('order-processing');
    metrics.countCompensationFailure('order-processing');
    metrics.setStalledSagas(['order-backorder', 'order-backorder']);
    metrics.countAlertDelivery('saga_stalled', 'delivered');
    backlog = 0;
    text = await metrics.registry.metrics();
    expect(text).toContain('shop_saga_compensation_failures_total{saga="order-processing"} 2');
    expect(text).toContain('shop_sagas_stalled{saga="order-backorder"} 2');
    expect(text).toContain('shop_sagas_stalled{saga="order-processing"} 0');
    expect(text).toContain('shop_alert_deliveries_total{kind="saga_stalled",outcome="delivered"} 1');
    expect(text).toContain('shop_outbox_backlog 0');

    // a scan that finds nothing stalled brings the gauge back to 0
    metrics.setStalledSagas([]);
    expect(await metrics.registry.metrics()).toContain('shop_sagas_stalled{saga="order-backorder"} 0');
  });

  it('reports the backlog as unknown (NaN) when the database cannot count it', async () => {
    const metrics = new ShopMetrics();
    metrics.trackOutboxBacklog(async () => {
      throw new Error('connection refused');
    });
    expect(await metrics.registry.metrics()).toMatch(/^shop_outbox_backlog nan$/im); // prom-client writes `Nan`, which Prometheus reads
  });
});
