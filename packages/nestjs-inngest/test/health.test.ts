import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InngestHealthIndicator, InngestModule } from '../src';
import { startApp, type TestApp } from './support/app';
import { OrderFunctions, PricingService } from './support/fixtures';
import { type RegisterSink, startRegisterSink } from './support/register-sink';

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly inngest: InngestHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.inngest.isHealthy()]);
  }
}

describe('the health indicator under @nestjs/terminus', () => {
  let sink: RegisterSink;
  let testApp: TestApp;

  beforeAll(async () => {
    sink = await startRegisterSink();
    testApp = await startApp('express', {
      imports: [TerminusModule, InngestModule.forRoot({ appId: 'shop', mode: 'dev', baseUrl: sink.url })],
      controllers: [HealthController],
      providers: [PricingService, OrderFunctions],
    });
  });

  afterAll(async () => {
    await testApp?.close();
    await sink?.close();
  });

  it('reports 503 before the app has synced and 200 after, with the mode', async () => {
    const before = await fetch(`${testApp.url}/health`);
    expect(before.status).toBe(503);
    expect(((await before.json()) as any).error.inngest).toMatchObject({ status: 'down', synced: false });

    await fetch(`${testApp.url}/api/inngest`, { method: 'PUT' });

    const after = await fetch(`${testApp.url}/health`);
    expect(after.status).toBe(200);
    expect(((await after.json()) as any).info.inngest).toEqual({
      status: 'up',
      mode: 'dev',
      synced: true,
      functions: 2,
    });
  });
});
