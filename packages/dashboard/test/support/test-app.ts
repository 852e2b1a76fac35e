import 'reflect-metadata';
import { type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { CircuitBreakerModule, CircuitBreakerService } from '@sagaline/circuit-breaker';
import type { EmbeddedEngine } from '@sagaline/embedded-engine';
import { EventStore, EventStoreModule } from '@sagaline/event-store';
import { INNGEST_EMBEDDED_ENGINE, InngestModule, InngestService } from '@sagaline/nestjs-inngest';
import { Compensate, Saga, SagaModule, SagaStep, type SagaStepContext } from '@sagaline/saga';
import { DashboardModule, type DashboardModuleOptions } from '../../src';

export type Platform = 'express' | 'fastify';

/** A shop in miniature: a three-step saga whose charge goes through a breaker and fails for a declined card. */
@Saga({
  id: 'checkout',
  trigger: 'checkout.requested',
  businessKey: 'orderId',
  cancelOn: { event: 'checkout.cancelled', match: 'data.orderId' },
})
export class CheckoutSaga {
  constructor(
    private readonly breakers: CircuitBreakerService,
    private readonly events: EventStore,
  ) {}

  @SagaStep('reserve')
  async reserve(ctx: SagaStepContext) {
    await this.events.appendToStream(`order-${ctx.event.data.orderId}`, [
      {
        id: `${ctx.event.data.orderId}:reserved`,
        type: 'stock.reserved',
        data: { email: ctx.event.data.email },
      },
    ]);
    return { reservation: 'r-1' };
  }

  @SagaStep('charge', { retry: { attempts: 1 } })
  async charge(ctx: SagaStepContext) {
    return this.breakers.execute('payments', async () => {
      if (ctx.event.data.card === 'tok_chargeDeclined') throw new Error('card declined');
      if (ctx.event.data.wait) await new Promise((resolve) => setTimeout(resolve, 60_000));
      return { chargeId: 'ch_1' };
    });
  }

  @Compensate('reserve')
  release() {}

  @Compensate('charge')
  refund() {}

  @SagaStep('ship')
  async ship() {
    return { label: 'L-1' };
  }
}

export interface TestApp {
  app: INestApplication;
  url: string;
  engine: EmbeddedEngine;
  inngest: InngestService;
  close(): Promise<void>;
}

/** Starts the mini shop with the dashboard on a loopback port, on Express or Fastify. */
export async function startTestApp(platform: Platform, dashboard: DashboardModuleOptions): Promise<TestApp> {
  @Module({
    imports: [
      InngestModule.forRoot({
        appId: 'mini',
        mode: 'embedded',
        isGlobal: true,
        embedded: { retryBackoffScale: 0.001 },
      }),
      EventStoreModule.forRoot({ adapter: { kind: 'memory' }, isGlobal: true }),
      SagaModule.forRoot({}),
      CircuitBreakerModule.forRoot({
        defaults: { slidingWindowSize: 2, minimumNumberOfCalls: 2, waitDurationInOpenState: 60_000 },
        // a decline is the customer's card, not the gateway failing
        breakers: { payments: { isFailure: (error) => !/declined/.test((error as Error).message) } },
      }),
      DashboardModule.forRoot(dashboard),
    ],
    providers: [CheckoutSaga],
  })
  class TestAppModule {}
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(TestAppModule, adapter, { logger: false, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  const inngest = app.get(InngestService);
  await inngest.whenSynced();
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, engine: app.get(INNGEST_EMBEDDED_ENGINE), inngest, close: () => app.close() };
}
