import 'reflect-metadata';
import { deepStrictEqual, equal, ok } from 'node:assert/strict';
import { NestFactory } from '@nestjs/core';
import { CircuitBreakerService, CircuitOpenError } from '@sagaline/circuit-breaker';
import type { EmbeddedEngine } from '@sagaline/embedded-engine';
import { EventStore } from '@sagaline/event-store';
import { INNGEST_EMBEDDED_ENGINE, InngestService } from '@sagaline/nestjs-inngest';
import { SagaService } from '@sagaline/saga';
import { AppModule } from './app.module.js';
import { transferStream } from './events.js';
import { Ledger } from './ledger.js';
import { RatesClient } from './rates.client.js';

// A run that needs longer than this is stuck, not slow (PGlite alone can take 17 s to start).
const RUN_TIMEOUT_MS = 120_000;
// After app.close() nothing may keep the process alive; this timer does not either (unref).
const EXIT_GRACE_MS = 30_000;

const started = Date.now();
const phase = (name: string) => console.log(`  ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);

async function main() {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  await app.listen(0, '127.0.0.1');
  phase('listening');

  // The saga: sent right after listen, as docs/getting-started.md step 4 does.
  const transferId = `t-${process.pid}-${Date.now()}`;
  const { ids } = await app.get(InngestService).send({
    name: 'transfer/requested',
    data: { transferId, amount: 10 },
  });
  const engine = app.get<EmbeddedEngine>(INNGEST_EMBEDDED_ENGINE);
  const run = await engine.waitForRun({ eventId: ids[0], functionId: 'transfer' }, RUN_TIMEOUT_MS);
  equal(run.status, 'completed', `the saga's run ended ${run.status}: ${JSON.stringify(run.error)}`);
  const outcome = run.output as { status: string; compensatedSteps: string[]; failure?: { stepId: string } };
  equal(outcome.status, 'compensated', `saga outcome: ${JSON.stringify(outcome)}`);
  deepStrictEqual(outcome.compensatedSteps, ['debit']);
  equal(outcome.failure?.stepId, 'credit');
  deepStrictEqual(app.get(Ledger).calls, [
    `debit(${transferId})`,
    `credit(${transferId})`,
    `refund(d-${transferId})`,
  ]);
  const [state] = await app.get(SagaService).findByBusinessKey('transfer', transferId);
  equal(state?.status, 'compensated', `saga state: ${JSON.stringify(state)}`);
  phase('saga: credit failed, debit refunded, outcome and state "compensated"');

  // The breaker: 4 failures in a window of 4 open it; the 5th call is rejected without a call.
  const rates = app.get(RatesClient);
  for (let call = 1; call <= 4; call++) {
    const error = await rates.rate('EUR').then(
      () => undefined,
      (e: unknown) => e,
    );
    ok(error instanceof Error && /rates service is down/.test(error.message), `call ${call}: ${error}`);
  }
  const rejection = await rates.rate('EUR').then(
    () => undefined,
    (e: unknown) => e,
  );
  ok(rejection instanceof CircuitOpenError, `5th call: expected CircuitOpenError, got ${rejection}`);
  equal(rejection.code, 'CIRCUIT_OPEN');
  ok(rejection.retryAfterMs > 0, `retryAfterMs ${rejection.retryAfterMs}`);
  equal(rates.reached, 4, 'the open breaker must not call the service');
  equal(app.get(CircuitBreakerService).get('rates').state, 'open');
  phase(`breaker: open after 4 failures, 5th call rejected (${rejection.message})`);

  // The event store: the transfer's history, audit and saga events in the order they happened.
  const { events } = await app.get(EventStore).readStream(transferStream(transferId));
  deepStrictEqual(
    events.map((event) => event.type),
    ['transfer/requested', 'inngest/run.started', 'funds.debited', 'funds.refunded'],
  );
  equal(events[1]?.metadata.inngestRunId, run.id);
  phase(`event store: ${events.length} events read back from ${transferStream(transferId)}`);

  await app.close();
  phase('closed');
  setTimeout(() => {
    console.error(
      `still running ${EXIT_GRACE_MS} ms after app.close(), held by:`,
      process.getActiveResourcesInfo(),
    );
    process.exit(3);
  }, EXIT_GRACE_MS).unref();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
