import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { type InngestContext, InngestFunction } from '@sagaline/nestjs-inngest';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedApp, startEmbeddedApp } from '../../embedded-engine/test/support/embedded-app';
import { waitFor } from '../../embedded-engine/test/support/wait-for';
import {
  CircuitBreakerHealthIndicator,
  CircuitBreakerModule,
  CircuitBreakerService,
  CircuitOpenError,
  type CircuitStateChange,
  UseCircuitBreaker,
  waitForCircuit,
} from '../src';

class Declined extends Error {}

@Injectable()
class Gateway {
  calls = 0;
  down = true;

  @UseCircuitBreaker(
    'gateway',
    { isFailure: (error) => !(error instanceof Declined) },
    { fallback: 'offline' },
  )
  async charge(card: string): Promise<string> {
    this.calls++;
    if (card === 'tok_chargeDeclined') throw new Declined('declined');
    if (this.down) throw new Error('gateway down');
    return `charged ${card}`;
  }

  offline(error: unknown, card: string): string {
    if (error instanceof Declined) throw error;
    return `queued ${card} (${(error as Error).message})`;
  }
}

const tight = {
  slidingWindowSize: 4,
  minimumNumberOfCalls: 4,
  waitDurationInOpenState: 30_000,
  permittedNumberOfCallsInHalfOpenState: 1,
};

describe('CircuitBreakerModule', () => {
  it('wraps @UseCircuitBreaker methods, reports state changes, metrics and health', async () => {
    const registry = new Registry();
    const moduleRef = await Test.createTestingModule({
      imports: [CircuitBreakerModule.forRoot({ defaults: tight, registry })],
      providers: [Gateway],
    }).compile();
    await moduleRef.init();
    const gateway = moduleRef.get(Gateway);
    const service = moduleRef.get(CircuitBreakerService);
    const changes: CircuitStateChange[] = [];
    service.stateChanges$.subscribe((change) => changes.push(change));

    await expect(gateway.charge('tok_chargeDeclined')).rejects.toThrow('declined');
    expect(service.get('gateway').stats.calls).toBe(0); // a decline does not count against the gateway
    for (let i = 0; i < 4; i++)
      expect(await gateway.charge('tok_visa')).toBe('queued tok_visa (gateway down)');
    expect(service.get('gateway').state).toBe('open');
    const callsWhileOpen = gateway.calls;
    expect(await gateway.charge('tok_visa')).toContain('queued tok_visa (Circuit "gateway" is open');
    expect(gateway.calls).toBe(callsWhileOpen); // not hammered while open
    expect(changes.map((c) => c.to)).toEqual(['open']);

    expect(moduleRef.get(CircuitBreakerHealthIndicator).isHealthy()).toEqual({
      'circuit-breakers': { status: 'down', open: ['gateway'], breakers: { gateway: 'open' } },
    });
    const metrics = await registry.metrics();
    expect(metrics).toContain('circuit_breaker_state{name="gateway"} 1');
    expect(metrics).toContain('circuit_breaker_calls_total{name="gateway",outcome="rejected"} 1');
    expect(metrics).toContain('circuit_breaker_calls_total{name="gateway",outcome="ignored"} 1');

    await service.reset('gateway');
    expect(moduleRef.get(CircuitBreakerHealthIndicator).isHealthy()['circuit-breakers']!.status).toBe('up');
    await moduleRef.close();
  });

  it('reports the breakers of every module on a registry at scrape time, until the module closes', async () => {
    const registry = new Registry();
    const modules = await Promise.all(
      ['first', 'second'].map(async (name) => {
        const moduleRef = await Test.createTestingModule({
          imports: [CircuitBreakerModule.forRoot({ defaults: tight, registry })],
        }).compile();
        await moduleRef.get(CircuitBreakerService).execute(name, () => 'ok');
        return moduleRef;
      }),
    );
    const metrics = await registry.metrics();
    expect(metrics).toContain('circuit_breaker_calls_total{name="first",outcome="success"} 1');
    expect(metrics).toContain('circuit_breaker_calls_total{name="second",outcome="success"} 1');
    expect(metrics).toContain('circuit_breaker_state{name="second"} 0');
    await modules[0]!.close();
    expect(await registry.metrics()).not.toContain('name="first"');
    await modules[1]!.close();
  });

  it('throws CircuitOpenError outside Inngest', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CircuitBreakerModule.forRoot({ defaults: tight, registry: new Registry() })],
    }).compile();
    const service = moduleRef.get(CircuitBreakerService);
    await service.forceOpen('carrier');
    await expect(service.execute('carrier', () => 'x')).rejects.toBeInstanceOf(CircuitOpenError);
    await moduleRef.close();
  });
});

@Injectable()
class Payments {
  attempts = 0;
  constructor(readonly breakers: CircuitBreakerService) {}

  @InngestFunction({ id: 'charge', triggers: { event: 'pay/charge' } })
  async charge({ step }: InngestContext) {
    return step.run('charge', () =>
      this.breakers.execute('psp', () => {
        this.attempts++;
        return 'charged';
      }),
    );
  }

  @InngestFunction({ id: 'charge-patiently', triggers: { event: 'pay/charge-patiently' } })
  async chargePatiently({ step }: InngestContext) {
    await waitForCircuit(step, this.breakers.get('psp'));
    return step.run('charge', () => this.breakers.execute('psp', () => 'charged after the outage'));
  }
}

describe('inside an Inngest function (embedded engine)', () => {
  let subject: EmbeddedApp;
  beforeAll(async () => {
    subject = await startEmbeddedApp('express', [Payments], { retryBackoffScale: 0 }, 'cb', [
      CircuitBreakerModule.forRoot({ isGlobal: true, defaults: tight, registry: new Registry() }),
    ]);
  });
  afterAll(() => subject?.close());

  it('an open breaker reschedules the step after the remaining open time, instead of burning retries', async () => {
    const breakers = subject.app.get(CircuitBreakerService);
    const psp = breakers.breaker('psp');
    for (let i = 0; i < 4; i++)
      await psp.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    const openFor = psp.snapshot().probeAt - Date.now();

    const { ids } = await subject.inngest.send({ name: 'pay/charge', data: {} });
    const run = await subject.engine.waitForRun({ eventId: ids[0], status: 'running' });
    await waitFor(async () => {
      const pending = (await subject.engine.getRun(run.id))?.pending[0];
      return pending?.kind === 'call' && pending.attempt === 1;
    });
    const retry = (await subject.engine.getRun(run.id))!.pending[0]!;
    const delay = retry.dueAt - Date.now();
    expect(delay).toBeGreaterThan(openFor * 0.9); // retry-after carries the open time (+ jitter),
    expect(delay).toBeLessThanOrEqual(Math.ceil(openFor * 1.1) + 1000); // rounded up to whole seconds
    expect(subject.app.get(Payments).attempts).toBe(0);
    await breakers.reset('psp');
  });

  it('waitForCircuit sleeps durably until the probe time', async () => {
    const breakers = subject.app.get(CircuitBreakerService);
    const psp = breakers.breaker('psp');
    for (let i = 0; i < 4; i++)
      await psp.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    const { ids } = await subject.inngest.send({ name: 'pay/charge-patiently', data: {} });
    const run = await subject.engine.waitForRun({ eventId: ids[0], status: 'running' });
    await waitFor(async () => (await subject.engine.getRun(run.id))?.pending[0]?.kind === 'sleep');
    const sleep = (await subject.engine.getRun(run.id))!.pending[0]!;
    expect(sleep.dueAt).toBe(psp.snapshot().probeAt);
    await breakers.reset('psp');
  });
});
