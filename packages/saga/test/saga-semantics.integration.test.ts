import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedApp, startEmbeddedApp } from '../../embedded-engine/test/support/embedded-app';
import { waitFor } from '../../embedded-engine/test/support/wait-for';
import { SagaModule, SagaService } from '../src';
import {
  FlakySaga,
  HaltSaga,
  Ledger,
  LifecycleListener,
  NotifySaga,
  OrderSaga,
  PivotChainSaga,
  PivotSaga,
  StraggleSaga,
  WaitingSaga,
} from './fixtures';

let counter = 0;
const newOrderId = () => `s${++counter}-${Math.random().toString(36).slice(2, 7)}`;

describe('saga semantics on the embedded engine', () => {
  let subject: EmbeddedApp;
  let ledger: Ledger;

  beforeAll(async () => {
    ledger = new Ledger();
    subject = await startEmbeddedApp(
      'fastify',
      [
        { provide: Ledger, useValue: ledger },
        OrderSaga,
        PivotSaga,
        WaitingSaga,
        HaltSaga,
        NotifySaga,
        FlakySaga,
        PivotChainSaga,
        StraggleSaga,
        LifecycleListener,
      ],
      { retryBackoffScale: 0 },
      'shop',
      [SagaModule.forRoot({ lifecycleEvents: 'all' })],
    );
  });

  afterAll(() => subject?.close());

  async function start(name: string, orderId: string) {
    const { ids } = await subject.inngest.send({ name, data: { orderId } });
    return ids[0]!;
  }

  it('after a pivot, a failure is retried forward and waits for an operator; nothing is compensated', async () => {
    const orderId = newOrderId();
    ledger.failAt.set(orderId, 'ship');
    const eventId = await start('shop/pivot.created', orderId);
    const running = await subject.engine.waitForRun({ eventId, status: 'running' });
    await waitFor(async () => ledger.events.some((e) => e.name === 'saga/stalled' && e.orderId === orderId));
    expect(ledger.attempts.get(`ship:${orderId}`)).toBe(1); // a NonRetriableError skips the step's retries

    await waitFor(async () => (await subject.engine.getRun(running.id))?.pending[0]?.kind === 'wait');
    ledger.failAt.delete(orderId);
    await subject.inngest.send({ name: 'saga/retry', data: { runId: running.id } });
    const done = await subject.engine.waitForRun({ runId: running.id });

    expect(done.output).toMatchObject({ status: 'completed', compensatedSteps: [] });
    expect(ledger.for(orderId)).toEqual(['reserve', 'capture', 'ship']);
  });

  it('runs each step after a pivot once, however many rounds of operator retries it takes', async () => {
    const orderId = newOrderId();
    const stalls = () =>
      ledger.events.filter((e) => e.name === 'saga/stalled' && e.orderId === orderId).length;
    const retry = async (runId: string, round: number) => {
      await waitFor(
        async () => (await subject.engine.getRun(runId))?.pending[0]?.kind === 'wait' && stalls() === round,
      );
      await subject.inngest.send({ name: 'saga/retry', data: { runId } });
    };
    ledger.failAt.set(orderId, 'ship');
    const eventId = await start('shop/pivot-chain.created', orderId);
    const running = await subject.engine.waitForRun({ eventId, status: 'running' });
    ledger.failAt.set(orderId, 'notify'); // round 1: ship and invoice pass, notify fails
    await retry(running.id, 1);
    await waitFor(async () => stalls() === 2);
    ledger.failAt.delete(orderId); // round 2: only notify is left to run
    await retry(running.id, 2);
    const done = await subject.engine.waitForRun({ runId: running.id });

    expect(done.output).toMatchObject({
      status: 'completed',
      completedSteps: ['capture', 'ship', 'invoice', 'notify'],
    });
    expect(ledger.for(orderId)).toEqual(['capture', 'ship', 'invoice', 'notify']);
    expect(ledger.attempts.get(`invoice:${orderId}`)).toBe(1);
  });

  it('compensates a parallel group only once every member has ended, with the output of each', async () => {
    const orderId = newOrderId();
    ledger.failAt.set(orderId, 'charge'); // refused at once, while the reservation waits to try again
    const eventId = await start('shop/straggle', orderId);
    const running = await subject.engine.waitForRun({ eventId, status: 'running' });
    const done = await subject.engine.waitForRun({ runId: running.id });

    expect(done.output).toMatchObject({ status: 'compensated', completedSteps: ['reserve'] });
    expect(ledger.for(orderId)).toEqual(['reserve', `release(r-${orderId})`]);
  });

  it('a waiting step resumes with the webhook event and maps it to its output', async () => {
    const orderId = newOrderId();
    const eventId = await start('shop/waiting.created', orderId);
    const running = await subject.engine.waitForRun({ eventId, status: 'running' });
    await waitFor(async () => (await subject.engine.getRun(running.id))?.pending[0]?.kind === 'wait');
    // the events queued so far went out before the saga started waiting
    const eventsOf = () => ledger.events.filter((e) => e.orderId === orderId).map((e) => e.name);
    await waitFor(async () => eventsOf().length === 2);
    expect(eventsOf().sort()).toEqual(['saga/started', 'saga/step.completed']);
    await subject.inngest.send({ name: 'shop/payment.confirmed', data: { orderId, amount: 42 } });
    const done = await subject.engine.waitForRun({ runId: running.id });
    expect(done.output).toMatchObject({ status: 'completed', results: { payment: 42 } });
    expect(ledger.for(orderId)).toEqual(['reserve', 'confirm(42)']);
    await waitFor(async () => eventsOf().length === 5);
    expect(eventsOf().sort()).toEqual([
      'saga/completed',
      'saga/started',
      'saga/step.completed',
      'saga/step.completed',
      'saga/step.completed',
    ]);
    // five events, two durable steps: one batch before the wait, one at the end
    const names = done.timeline.map((step) => step.name);
    expect(names.filter((name) => name.startsWith('saga:events:'))).toHaveLength(2);
  });

  it('cancelling mid-saga runs the compensations of the completed steps', async () => {
    const orderId = newOrderId();
    const eventId = await start('shop/waiting.created', orderId);
    const running = await subject.engine.waitForRun({ eventId, status: 'running' });
    await waitFor(async () => (await subject.engine.getRun(running.id))?.pending[0]?.kind === 'wait');

    await subject.inngest.send({ name: 'shop/order.cancel', data: { orderId } });

    expect((await subject.engine.waitForRun({ runId: running.id })).status).toBe('cancelled');
    const companion = await subject.engine.waitForRun({
      functionId: 'waiting-saga-cancellation',
      status: 'completed',
    });
    expect(companion.output).toMatchObject({ status: 'cancelled', compensatedSteps: ['reserve'] });
    expect(ledger.for(orderId)).toEqual(['reserve', 'release(r1)']);
    const [state] = await subject.app.get(SagaService).findByBusinessKey('waiting-saga', orderId);
    expect(state?.status).toBe('cancelled');
  });

  it('a compensation that keeps failing ends in compensation_failed, continues, and reports to operators', async () => {
    const orderId = newOrderId();
    ledger.failAt.set(orderId, 'ship');
    ledger.failCompensation.set(orderId, 5);
    const eventId = await start('shop/order.created', orderId);
    const done = await subject.engine.waitForRun({ eventId, functionId: 'order-saga' });

    expect(done.output).toMatchObject({
      status: 'compensation_failed',
      compensatedSteps: ['reserve'],
      compensationFailures: [{ stepId: 'charge', message: 'refund service down' }],
    });
    expect(ledger.for(orderId)).toEqual(['reserve', 'charge', `release(r-${orderId})`]);
    await waitFor(async () =>
      ledger.events.some((e) => e.name === 'saga/compensation.failed' && e.orderId === orderId),
    );
  });

  it('a compensation that fails under the halt policy stops the remaining compensations', async () => {
    const orderId = newOrderId();
    const eventId = await start('shop/halt.created', orderId);
    const done = await subject.engine.waitForRun({ eventId, functionId: 'halt-saga' });
    expect(done.output).toMatchObject({
      status: 'compensation_failed',
      compensatedSteps: [],
      compensationFailures: [{ stepId: 'charge', message: 'refund service down' }],
      failure: { stepId: 'ship' },
    });
    expect(ledger.for(orderId)).toEqual(['reserve', 'charge']);
  });

  it('a compensation that fails once is retried and succeeds', async () => {
    const orderId = newOrderId();
    ledger.failAt.set(orderId, 'ship');
    ledger.failCompensation.set(orderId, 1);
    const eventId = await start('shop/order.created', orderId);
    const done = await subject.engine.waitForRun({ eventId, functionId: 'order-saga' });
    expect(done.output).toMatchObject({ status: 'compensated', compensatedSteps: ['charge', 'reserve'] });
  });

  it('a failure in a parallel group compensates the members that started', async () => {
    const orderId = newOrderId();
    ledger.failAt.set(orderId, 'sms');
    const eventId = await start('shop/notify', orderId);
    const done = await subject.engine.waitForRun({ eventId, functionId: 'notify-saga' });
    expect(done.output).toMatchObject({ status: 'compensated', failure: { stepId: 'sms' } });
    expect(ledger.for(orderId).sort()).toEqual(['email', 'undo-email', 'undo-sms'].sort());
    await waitFor(async () =>
      ledger.events.some((e) => e.name === 'saga/compensated' && e.orderId === orderId),
    );
    const names = ledger.events.filter((e) => e.orderId === orderId).map((e) => e.name);
    expect(names.sort()).toEqual(['saga/compensated', 'saga/compensating']);
  });

  it('parallel members that flush their events before a backoff lose none of them', async () => {
    const orderId = newOrderId();
    const eventId = await start('shop/flaky', orderId);
    const done = await subject.engine.waitForRun({ eventId, functionId: 'flaky-saga' });
    expect(done.output).toMatchObject({ status: 'completed' });
    expect(ledger.for(orderId).sort()).toEqual(['email', 'sms']);
    expect(ledger.attempts.get(`email:${orderId}`)).toBe(2);
    const names = () => ledger.events.filter((e) => e.orderId === orderId).map((e) => e.name);
    await waitFor(async () => names().includes('saga/completed'));
    // the engine keeps one event per id, so a batch sent again on a replay is not heard twice
    expect(names().sort()).toEqual([
      'saga/completed',
      'saga/started',
      'saga/step.completed',
      'saga/step.completed',
    ]);
  });

  it("a saga's own lifecycleEvents overrides the module's: 'failures' sends nothing on success", async () => {
    const orderId = newOrderId();
    const eventId = await start('shop/notify', orderId);
    const done = await subject.engine.waitForRun({ eventId, functionId: 'notify-saga' });
    expect(done.output).toMatchObject({ status: 'completed' });
    expect(done.timeline.map((step) => step.name).sort()).toEqual(['done', 'email', 'sms']);
  });
});
