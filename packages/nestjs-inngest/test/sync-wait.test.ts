import { Test } from '@nestjs/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InngestConfigurationError, InngestModule, InngestService, InngestSyncTimeoutError } from '../src';
import { startApp, type TestApp } from './support/app';
import { PricingService } from './support/fixtures';
import { LogCapture } from './support/log-capture';
import { type RegisterSink, startRegisterSink } from './support/register-sink';

describe('waiting for the sync (dev mode)', () => {
  const opened: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    while (opened.length) await opened.pop()!.close();
  });

  async function devApp(
    syncTimeoutMs?: number,
    logger?: LogCapture,
  ): Promise<{ app: TestApp; sink: RegisterSink }> {
    const sink = await startRegisterSink();
    opened.push(sink);
    const app = await startApp(
      'express',
      {
        imports: [InngestModule.forRoot({ appId: 'shop', mode: 'dev', baseUrl: sink.url, syncTimeoutMs })],
        providers: [PricingService],
      },
      undefined,
      { logger },
    );
    opened.push(app);
    return { app, sink };
  }

  it('rejects whenSynced() with InngestSyncTimeoutError after syncTimeoutMs when no server syncs the app', async () => {
    const { app } = await devApp(100);

    const waiting = app.app.get(InngestService).whenSynced();

    await expect(waiting).rejects.toThrow(InngestSyncTimeoutError);
    await expect(waiting).rejects.toMatchObject({
      code: 'INNGEST_SYNC_TIMEOUT',
      mode: 'dev',
      timeoutMs: 100,
    });
    await expect(waiting).rejects.toThrow(
      'The app did not sync with the Inngest server within 100 ms (mode "dev"). Call `await app.listen(port)` ' +
        'and have the server sync it',
    );
  });

  it('resolves a whenSynced() that is waiting once the server syncs the app', async () => {
    const { app } = await devApp();
    const waiting = app.app.get(InngestService).whenSynced();

    await fetch(`${app.url}/api/inngest`, { method: 'PUT' });

    await expect(waiting).resolves.toBeUndefined();
  });

  it('does not hold events sent before the sync outside embedded mode: the server keeps them for the app', async () => {
    const { app, sink } = await devApp(100);
    await app.app.get(InngestService).send({ name: 'order/created', data: { orderId: 'o-1' } });
    expect(sink.events).toMatchObject([{ name: 'order/created' }]);
  });

  it('rejects a pending whenSynced() when the app closes, so no timer outlives it', async () => {
    const { app } = await devApp();
    const waiting = app.app.get(InngestService).whenSynced();

    await app.close();

    await expect(waiting).rejects.toMatchObject({ code: 'INNGEST_APP_CLOSED' });
  });

  it('warns when a server syncs an app that has no functions', async () => {
    const logs = new LogCapture();
    const { app } = await devApp(undefined, logs);

    await fetch(`${app.url}/api/inngest`, { method: 'PUT' });

    await vi.waitFor(() => expect(logs.find('warn', 'the app has no Inngest functions')).toHaveLength(1));
    expect(
      logs.find('warn', 'Synced with the Inngest server, but the app has no Inngest functions'),
    ).toHaveLength(1);
  });

  it.each([0, -1, 1.5, Number.NaN, 2 ** 31])(
    'refuses syncTimeoutMs %s at start-up, naming the option',
    async (value) => {
      const attempt = Test.createTestingModule({
        imports: [InngestModule.forRoot({ appId: 'shop', mode: 'dev', syncTimeoutMs: value })],
      }).compile();
      await expect(attempt).rejects.toThrow(InngestConfigurationError);
      await expect(attempt).rejects.toThrow(`syncTimeoutMs is ${value}: give a whole number of milliseconds`);
    },
  );

  it('refuses a schema that is not a Standard Schema, naming the event', async () => {
    const attempt = Test.createTestingModule({
      imports: [
        InngestModule.forRoot({
          appId: 'shop',
          mode: 'dev',
          schemas: { 'order/created': { parse() {} } as never },
        }),
      ],
    }).compile();
    await expect(attempt).rejects.toThrow(InngestConfigurationError);
    await expect(attempt).rejects.toThrow('schemas["order/created"] is not a Standard Schema');
  });
});
