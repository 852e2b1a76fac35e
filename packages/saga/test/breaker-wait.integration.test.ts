import { Inject, Injectable } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveOptions } from '../../circuit-breaker/src/breaker.options';
import { CircuitBreaker } from '../../circuit-breaker/src/circuit-breaker';
import { ManualClock } from '../../embedded-engine/src';
import { type EmbeddedApp, startEmbeddedApp } from '../../embedded-engine/test/support/embedded-app';
import {
  Compensate,
  type RetryPolicy,
  Saga,
  type SagaContext,
  SagaModule,
  type SagaOptions,
  SagaService,
  SagaStep,
  type SagaWait,
} from '../src';
import { runThroughSleeps } from './run-through-sleeps';

type Order = { orderId: string };

const CLOCK = Symbol('engine clock');
const OPEN_MS = 10_000;

/**
 * A payment gateway that is down until `outageEndsAt` on the engine's clock, behind a real
 * breaker (memory store) that reads the same clock: the outage and the breaker's open time are
 * measured in the time the engine's durable sleeps move, so no test waits for real time.
 */
@Injectable()
class Gateway {
  readonly calls = new Map<string, number>();
  private readonly outages = new Map<string, number>();
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(@Inject(CLOCK) private readonly clock: ManualClock) {}

  /** A breaker opened by other traffic just now, and an outage of `outageMs` from now. */
  async outage(orderId: string, outageMs: number): Promise<CircuitBreaker> {
    this.outages.set(orderId, this.clock.now() + outageMs);
    const breaker = new CircuitBreaker(
      `gateway-${orderId}`,
      resolveOptions(`gateway-${orderId}`, {
        slidingWindowSize: 2,
        minimumNumberOfCalls: 2,
        waitDurationInOpenState: OPEN_MS,
        permittedNumberOfCallsInHalfOpenState: 1,
        // the probe times are then exact, and so are the sleeps the test expects
        retryJitter: 0,
      }),
      { now: () => this.clock.now() },
    );
    this.breakers.set(orderId, breaker);
    for (let call = 0; call < 2; call++) {
      await breaker.execute(() => this.call(orderId)).catch(() => undefined);
    }
    this.calls.set(orderId, 0);
    return breaker;
  }

  charge(orderId: string): Promise<string> {
    return this.breakers.get(orderId)!.execute(() => this.call(orderId));
  }

  private async call(orderId: string): Promise<string> {
    this.calls.set(orderId, (this.calls.get(orderId) ?? 0) + 1);
    if (this.clock.now() < this.outages.get(orderId)!) throw new Error('503 Service Unavailable');
    return `charge-${orderId}`;
  }
}

@Injectable()
class Refunds {
  readonly refunded: string[] = [];
}

/** A saga that charges through the gateway's breaker and refunds on failure. */
function chargingSaga(name: string, options: SagaOptions, retry?: RetryPolicy) {
  @Saga(options)
  class ChargingSaga {
    constructor(
      private readonly gateway: Gateway,
      private readonly refunds: Refunds,
    ) {}

    @SagaStep('charge', retry ? { retry } : {})
    charge({ event }: SagaContext<Order>) {
      return this.gateway.charge(event.data.orderId);
    }

    @Compensate('charge')
    refund({ event }: SagaContext<Order>) {
      this.refunds.refunded.push(event.data.orderId);
    }
  }
  return Object.defineProperty(ChargingSaga, 'name', { value: name });
}

// the saga's default retries: 3, so 4 attempts
const DefaultRetriesSaga = chargingSaga('DefaultRetriesSaga', {
  id: 'breaker-saga',
  trigger: 'test/breaker',
  businessKey: 'orderId',
});
const TwoAttemptsSaga = chargingSaga(
  'TwoAttemptsSaga',
  { id: 'breaker-last-attempt-saga', trigger: 'test/breaker-last', businessKey: 'orderId' },
  { attempts: 2 },
);
const BudgetSaga = chargingSaga(
  'BudgetSaga',
  {
    id: 'breaker-budget-saga',
    trigger: 'test/breaker-budget',
    businessKey: 'orderId',
    maxBreakerWaitMs: 15_000,
  },
  { attempts: 2 },
);

let counter = 0;
const newOrderId = () => `bw${++counter}-${Math.random().toString(36).slice(2, 7)}`;

describe('a step refused by an open circuit breaker waits for its probe time without spending attempts', () => {
  let subject: EmbeddedApp;
  let clock: ManualClock;
  let gateway: Gateway;
  let refunds: Refunds;
  let sagas: SagaService;

  beforeAll(async () => {
    // ahead of the SDK's clock: an event dated after the engine's now would wait for its date
    clock = new ManualClock(Date.now() + 86_400_000);
    subject = await startEmbeddedApp(
      'fastify',
      [
        { provide: CLOCK, useValue: clock },
        Gateway,
        Refunds,
        DefaultRetriesSaga,
        TwoAttemptsSaga,
        BudgetSaga,
      ],
      { clock, retryBackoffScale: 0 },
      'shop',
      [SagaModule.forRoot({})],
    );
    gateway = subject.app.get(Gateway);
    refunds = subject.app.get(Refunds);
    sagas = subject.app.get(SagaService);
  });

  afterAll(() => subject?.close());

  it('rides out a 30 s outage with the default retries: completed, not compensated, in 3 attempts', async () => {
    const orderId = newOrderId();
    const breaker = await gateway.outage(orderId, 30_000);
    expect(breaker.state).toBe('open');
    const waits: Record<string, SagaWait | undefined> = {};
    const { run, sleeps, runId } = await runThroughSleeps(
      subject,
      clock,
      'test/breaker',
      { orderId },
      async (id, sleep) => {
        waits[sleep] = (await sagas.getState(id))?.waiting?.charge;
      },
    );

    expect(run.output).toMatchObject({
      status: 'completed',
      completedSteps: ['charge'],
      compensatedSteps: [],
    });
    expect(refunds.refunded).not.toContain(orderId);
    // refused at once (open by other traffic), then each failed probe reopens the breaker for 10 s:
    // the attempts spent are the two failed probes and the successful one, 3 of the default 4
    expect(sleeps).toEqual({
      'charge#breaker-wait-1': 10_000,
      'charge#backoff-1': 1_000,
      'charge#breaker-wait-2': 9_000,
      'charge#backoff-2': 2_000,
      'charge#breaker-wait-3': 8_000,
    });
    expect(gateway.calls.get(orderId)).toBe(3);
    const state = await sagas.getState(runId);
    expect(state?.timings.charge).toMatchObject({ attempts: 3, breakerWaits: 3, breakerWaitMs: 27_000 });
    expect(state?.waiting).toBeUndefined();
    // while it slept, the saga's state said it waited on the breaker, and for which attempt
    expect(waits['charge#breaker-wait-1']).toEqual({
      stepId: 'charge',
      reason: 'circuit_open',
      breaker: `gateway-${orderId}`,
      sleepId: 'charge#breaker-wait-1',
      until: expect.any(Number),
      attempt: 1,
    });
    expect(waits['charge#backoff-1']).toMatchObject({ reason: 'retry', attempt: 2 });
    expect(waits['charge#breaker-wait-3']).toMatchObject({ reason: 'circuit_open', attempt: 3 });
    // each try is its own durable step: a refused one is re-run under `<step>#wait<n>`
    const tries = run.timeline.map((step) => step.name).filter((name) => /^charge(#\d|#wait\d)?$/.test(name));
    expect(tries).toEqual(['charge', 'charge#wait1', 'charge#2', 'charge#wait2', 'charge#3', 'charge#wait3']);
  });

  it('waits on a refusal of the last attempt instead of failing', async () => {
    const orderId = newOrderId();
    await gateway.outage(orderId, 20_000);
    const { run, sleeps } = await runThroughSleeps(subject, clock, 'test/breaker-last', { orderId });

    expect(run.output).toMatchObject({ status: 'completed' });
    // attempt 2, the last, is refused at 11 s and waits for the probe at 20 s, when the outage ends
    expect(sleeps).toEqual({
      'charge#breaker-wait-1': 10_000,
      'charge#backoff-1': 1_000,
      'charge#breaker-wait-2': 9_000,
    });
    expect(gateway.calls.get(orderId)).toBe(2);
  });

  it('counts refusals as attempts once the waits would pass maxBreakerWaitMs, then compensates', async () => {
    const orderId = newOrderId();
    await gateway.outage(orderId, 3_600_000);
    const { run, sleeps } = await runThroughSleeps(subject, clock, 'test/breaker-budget', { orderId });

    expect(run.output).toMatchObject({ status: 'compensated', failure: { stepId: 'charge' } });
    expect((run.output as { failure: { message: string } }).failure.message).toMatch(/Circuit .* is open/);
    // 10 s waited; the next refusal asks for 9 s more, past the 15 s budget: it spends the last attempt
    expect(sleeps).toEqual({ 'charge#breaker-wait-1': 10_000, 'charge#backoff-1': 1_000 });
    expect(gateway.calls.get(orderId)).toBe(1);
    expect(refunds.refunded).toContain(orderId);
  });
});
