import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedApp, startEmbeddedApp } from '../../embedded-engine/test/support/embedded-app';
import { waitFor } from '../../embedded-engine/test/support/wait-for';
import { SagaModule, SagaService } from '../src';
import { Ledger, LifecycleListener, OrderSaga } from './fixtures';

let orderCounter = 0;
const newOrderId = () => `o${++orderCounter}-${Math.random().toString(36).slice(2, 7)}`;

describe('sagas on the embedded engine, through the real serve endpoint', () => {
  let subject: EmbeddedApp;
  let ledger: Ledger;

  beforeAll(async () => {
    ledger = new Ledger();
    subject = await startEmbeddedApp(
      'express',
      [{ provide: Ledger, useValue: ledger }, OrderSaga, LifecycleListener],
      { retryBackoffScale: 0 },
      'shop',
      [SagaModule.forRoot({})],
    );
  });

  afterAll(() => subject?.close());

  async function runOrder(orderId: string) {
    const { ids } = await subject.inngest.send({
      name: 'shop/order.created',
      data: { orderId, tenantId: 'acme' },
    });
    return subject.engine.waitForRun({ eventId: ids[0], functionId: 'order-saga' });
  }

  it('completes every step in order and is queryable by business key', async () => {
    const orderId = newOrderId();
    const run = await runOrder(orderId);

    expect(run.output).toMatchObject({
      status: 'completed',
      completedSteps: ['reserve', 'charge', 'ship'],
      compensatedSteps: [],
    });
    expect(ledger.for(orderId)).toEqual(['reserve', 'charge', 'ship']);
    const [state] = await subject.app.get(SagaService).findByBusinessKey('order-saga', orderId);
    expect(state).toMatchObject({
      status: 'completed',
      runId: run.id,
      completedSteps: ['reserve', 'charge', 'ship'],
    });
    expect(Object.keys(state!.timings)).toEqual(['reserve', 'charge', 'ship']);
    // by default a saga that completes sends no events: its steps are all the steps it takes
    expect(run.timeline.map((step) => step.name)).toEqual(['reserve', 'charge', 'ship']);
    // its end is still heard, through Inngest's own inngest/function.finished
    await waitFor(async () => ledger.finished.some((outcome) => outcome.businessKey === orderId));
    expect(ledger.finished.find((outcome) => outcome.businessKey === orderId)).toEqual(run.output);
  });

  it.each([
    ['reserve', ['release(unknown)']],
    ['charge', ['reserve', 'refund(unknown)', 'release(r-ORDER)']],
    ['ship', ['reserve', 'charge', 'refund(p-ORDER)', 'release(r-ORDER)']],
  ])(
    'a failure at "%s" compensates exactly the started steps, in reverse order',
    async (failing, expected) => {
      const orderId = newOrderId();
      ledger.failAt.set(orderId, failing);
      const run = await runOrder(orderId);

      expect(run.output).toMatchObject({
        status: 'compensated',
        failure: { stepId: failing, message: `${failing} refused` },
      });
      expect(ledger.for(orderId)).toEqual(expected.map((entry) => entry.replace('ORDER', orderId)));
      await waitFor(async () =>
        ledger.events.some((e) => e.name === 'saga/compensated' && e.orderId === orderId),
      );
      // the events of the unhappy path are sent by default, the progress events are not
      const events = ledger.events.filter((e) => e.orderId === orderId);
      expect(events.map((e) => e.name).sort()).toEqual(['saga/compensated', 'saga/compensating']);
      // lifecycleEventData put the order's tenant on each of them
      expect(events.map((e) => e.tenantId)).toEqual(['acme', 'acme']);
    },
  );
});
