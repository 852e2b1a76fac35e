import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresRunStore } from '../../embedded-engine/src';
import { startEmbeddedApp } from '../../embedded-engine/test/support/embedded-app';
import { waitFor } from '../../embedded-engine/test/support/wait-for';
import { SagaModule } from '../src';
import { Ledger, OrderSaga } from './fixtures';

const connectionString = 'postgres://postgres@127.0.0.1:5432/test';

describe('a crash mid-compensation, on the engine’s PostgreSQL store', () => {
  const schema = `saga_crash_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Pool({ connectionString, max: 1 });
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  it('resumes after a restart without running any compensation twice', async () => {
    const ledger = new Ledger();
    const orderId = 'crash-1';
    ledger.failAt.set(orderId, 'ship');
    ledger.failCompensation.set(orderId, 1); // the refund fails once, then waits in a durable backoff
    const start = async () =>
      startEmbeddedApp(
        'express',
        [{ provide: Ledger, useValue: ledger }, OrderSaga],
        { store: await PostgresRunStore.create({ connectionString, schema }), retryBackoffScale: 0 },
        'shop',
        [SagaModule.forRoot({})],
      );

    const first = await start();
    const { ids } = await first.inngest.send({ name: 'shop/order.created', data: { orderId } });
    const running = await first.engine.waitForRun({
      eventId: ids[0],
      functionId: 'order-saga',
      status: 'running',
    });
    await waitFor(
      async () =>
        (await first.engine.getRun(running.id))?.pending.some((work) => work.kind === 'sleep') ?? false,
    );
    expect(ledger.for(orderId)).toEqual(['reserve', 'charge']);
    await first.close(); // crash while the refund waits to be retried

    const second = await start();
    try {
      const done = await second.engine.waitForRun({ runId: running.id }, 15_000);
      expect(done.output).toMatchObject({ status: 'compensated', compensatedSteps: ['charge', 'reserve'] });
      expect(ledger.for(orderId)).toEqual([
        'reserve',
        'charge',
        `refund(p-${orderId})`,
        `release(r-${orderId})`,
      ]);
    } finally {
      await second.close();
    }
  });
});
