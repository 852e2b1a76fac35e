import { ConsoleLogger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InngestModule, InngestService } from '@sagaline/nestjs-inngest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Saga, SagaModule, SagaStep } from '../src';

@Saga({ id: 'checkout', trigger: 'order/created' })
class CheckoutSaga {
  @SagaStep('charge')
  charge() {
    return 'charged';
  }
}

/** Keeps the lines a Nest app logs. */
class LogCapture extends ConsoleLogger {
  readonly warnings: string[] = [];
  readonly logs: string[] = [];
  override warn(message: unknown) {
    this.warnings.push(String(message));
  }
  override log(message: unknown) {
    this.logs.push(String(message));
  }
}

async function start(module: new () => unknown) {
  const logger = new LogCapture();
  logger.setLogLevels(['log', 'warn']);
  const app = await NestFactory.create(module, { logger, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  await app.get(InngestService).whenSynced();
  return { logger, close: () => app.close() };
}

describe('a @Saga class provided without SagaModule', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(() => close?.());

  it('is named at sync with the module to import, instead of an app that serves nothing silently', async () => {
    @Module({
      imports: [InngestModule.forRoot({ appId: 'forgetful', mode: 'embedded', isGlobal: true })],
      providers: [CheckoutSaga],
    })
    class ForgetfulApp {}
    const started = await start(ForgetfulApp);
    close = started.close;
    const { logger } = started;

    await vi.waitFor(() =>
      expect(logger.warnings).toContainEqual(
        'CheckoutSaga is decorated with @Saga and provided, but its Inngest function "checkout" is not served, ' +
          'so no event will start it: import SagaModule.forRoot() in a module of this app.',
      ),
    );
  });

  it('is not named once SagaModule is imported: its function is served', async () => {
    @Module({
      imports: [
        InngestModule.forRoot({ appId: 'complete', mode: 'embedded', isGlobal: true }),
        SagaModule.forRoot({}),
      ],
      providers: [CheckoutSaga],
    })
    class CompleteApp {}
    const started = await start(CompleteApp);
    close = started.close;

    await vi.waitFor(() =>
      expect(started.logger.logs.some((line) => line.startsWith('Synced 1 function'))).toBe(true),
    );
    expect(started.logger.warnings.filter((line) => line.includes('@Saga'))).toEqual([]);
  });
});
