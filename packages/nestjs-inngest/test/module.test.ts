import { Injectable, Module, Scope } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Inngest } from 'inngest';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DuplicateInngestFunctionError,
  INNGEST_CLIENT,
  INNGEST_EMBEDDED_ENGINE,
  InngestConfigurationError,
  InngestFunction,
  InngestFunctionRegistry,
  InngestModule,
  InngestService,
  resolveMode,
  ScopedInngestFunctionError,
} from '../src';
import { OrderFunctions, PricingService } from './support/fixtures';

const devOptions = { appId: 'shop', mode: 'dev' as const, baseUrl: 'http://127.0.0.1:9' };

async function compile(metadata: Parameters<typeof Test.createTestingModule>[0]) {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  await moduleRef.init();
  return moduleRef;
}

describe('InngestModule wiring', () => {
  const opened: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    while (opened.length) await opened.pop()!.close();
  });

  it('forRoot provides the client, the service and the discovered functions', async () => {
    const moduleRef = await compile({
      imports: [InngestModule.forRoot(devOptions)],
      providers: [PricingService, OrderFunctions],
    });
    opened.push(moduleRef);

    const service = moduleRef.get(InngestService);
    expect(moduleRef.get(INNGEST_CLIENT)).toBeInstanceOf(Inngest);
    expect(service.client.id).toBe('shop');
    expect(service.mode).toBe('dev');
    expect(moduleRef.get(INNGEST_EMBEDDED_ENGINE)).toBeNull();
    expect(service.functions.map(({ id, source }) => ({ id, source }))).toEqual([
      { id: 'price-order', source: 'OrderFunctions.priceOrder' },
      { id: 'nightly-report', source: 'OrderFunctions.nightlyReport' },
    ]);
  });

  it('forRootAsync resolves the options from an injected factory', async () => {
    @Injectable()
    class AppConfig {
      readonly inngestAppId = 'shop-from-config';
    }
    @Module({ providers: [AppConfig], exports: [AppConfig] })
    class ConfigModule {}

    const moduleRef = await compile({
      imports: [
        InngestModule.forRootAsync({
          imports: [ConfigModule],
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({ ...devOptions, appId: config.inngestAppId }),
        }),
      ],
    });
    opened.push(moduleRef);

    expect(moduleRef.get(InngestService).client.id).toBe('shop-from-config');
  });

  it('isGlobal makes InngestService injectable in feature modules that do not import the module', async () => {
    @Injectable()
    class Checkout {
      constructor(readonly inngest: InngestService) {}
    }
    @Module({ providers: [Checkout] })
    class CheckoutModule {}

    const moduleRef = await compile({
      imports: [InngestModule.forRoot({ ...devOptions, isGlobal: true }), CheckoutModule],
    });
    opened.push(moduleRef);

    expect(moduleRef.get(Checkout).inngest).toBe(moduleRef.get(InngestService));
  });

  it('fails start-up when two functions share an id, naming both classes and methods', async () => {
    @Injectable()
    class Billing {
      @InngestFunction({ id: 'price-order', triggers: { event: 'billing/requested' } })
      charge() {}
    }

    const attempt = compile({
      imports: [InngestModule.forRoot(devOptions)],
      providers: [PricingService, OrderFunctions, Billing],
    });

    await expect(attempt).rejects.toThrow(DuplicateInngestFunctionError);
    await expect(attempt).rejects.toThrow(
      'Inngest function id "price-order" is declared twice: by OrderFunctions.priceOrder and by Billing.charge.',
    );
  });

  it('refuses a function on a request-scoped provider', async () => {
    @Injectable({ scope: Scope.REQUEST })
    class PerRequest {
      @InngestFunction({ id: 'scoped', triggers: { event: 'x/y' } })
      handle() {}
    }

    const attempt = compile({ imports: [InngestModule.forRoot(devOptions)], providers: [PerRequest] });

    await expect(attempt).rejects.toThrow(ScopedInngestFunctionError);
    await expect(attempt).rejects.toThrow(
      'PerRequest.handle is an @InngestFunction on a request- or transient-scoped provider',
    );
  });

  it('refuses a function without triggers, naming the function and the fix', async () => {
    @Injectable()
    class NoTriggers {
      @InngestFunction({ id: 'orphan', triggers: [] })
      handle() {}
    }

    const attempt = compile({ imports: [InngestModule.forRoot(devOptions)], providers: [NoTriggers] });

    await expect(attempt).rejects.toThrow(InngestConfigurationError);
    await expect(attempt).rejects.toThrow('@InngestFunction "orphan" on NoTriggers.handle has no `triggers`');
  });

  it('refuses an onFailure that names no method of the provider', async () => {
    @Injectable()
    class BadFailure {
      @InngestFunction({ id: 'f', triggers: { event: 'x/y' }, onFailure: 'missing' })
      handle() {}
    }

    const attempt = compile({ imports: [InngestModule.forRoot(devOptions)], providers: [BadFailure] });

    await expect(attempt).rejects.toThrow('names onFailure "missing", which is not a method of BadFailure');
  });

  it('lets other packages register functions before bootstrap, and refuses them after', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [InngestModule.forRoot(devOptions)],
    }).compile();
    opened.push(moduleRef);
    const registry = moduleRef.get(InngestFunctionRegistry);
    const client = moduleRef.get(InngestService).client;
    const early = client.createFunction({ id: 'early', triggers: [{ event: 'a/b' }] }, async () => 'ok');
    registry.register(early, 'SagaExplorer.early');
    expect(registry.list().map((fn) => fn.id)).toEqual(['early']);

    registry.seal();
    const late = client.createFunction({ id: 'late', triggers: [{ event: 'a/b' }] }, async () => 'ok');
    expect(() => registry.register(late, 'Somewhere.late')).toThrow(
      'Inngest function "late" was registered after the application bootstrapped.',
    );
  });

  it('fails start-up in cloud mode without a signing key, saying which variable to set', async () => {
    const attempt = compile({ imports: [InngestModule.forRoot({ appId: 'shop', mode: 'cloud' })] });
    await expect(attempt).rejects.toThrow(InngestConfigurationError);
    await expect(attempt).rejects.toThrow('set the INNGEST_SIGNING_KEY environment variable');
  });

  it('fails start-up in embedded mode with a signing key not in Inngest’s format, before starting an engine', async () => {
    const attempt = compile({
      imports: [InngestModule.forRoot({ appId: 'shop', mode: 'embedded', signingKey: 'my-secret' })],
    });
    await expect(attempt).rejects.toThrow(InngestConfigurationError);
    await expect(attempt).rejects.toThrow("must have Inngest's format `signkey-<env>-<hex>`");
  });

  it('fails start-up without an appId', async () => {
    const attempt = compile({ imports: [InngestModule.forRoot({ ...devOptions, appId: ' ' })] });
    await expect(attempt).rejects.toThrow('InngestModule needs an `appId`');
  });
});

describe('resolveMode', () => {
  it('takes the mode option over the environment', () => {
    expect(resolveMode({ mode: 'embedded' }, { INNGEST_DEV: '1' })).toBe('embedded');
  });

  it('picks dev when INNGEST_DEV is set', () => {
    expect(resolveMode({}, { INNGEST_DEV: '1', INNGEST_SIGNING_KEY: 'signkey-prod-00' })).toBe('dev');
  });

  it('picks cloud when only INNGEST_SIGNING_KEY is set', () => {
    expect(resolveMode({}, { INNGEST_SIGNING_KEY: 'signkey-prod-00' })).toBe('cloud');
  });

  it('defaults to embedded, also when INNGEST_DEV is 0', () => {
    expect(resolveMode({}, {})).toBe('embedded');
    expect(resolveMode({}, { INNGEST_DEV: '0' })).toBe('embedded');
  });

  it('rejects an unknown mode with the allowed values', () => {
    expect(() => resolveMode({ mode: 'prod' as never }, {})).toThrow(
      `Unknown Inngest mode "prod": use 'embedded', 'dev' or 'cloud', or leave it unset.`,
    );
  });
});

describe('logging', () => {
  it('routes the logger functions receive through Nest’s Logger', async () => {
    const { Logger } = await import('@nestjs/common');
    const lines: string[] = [];
    const original = Logger.prototype.log;
    Logger.prototype.log = function (this: { context?: string }, message: unknown) {
      lines.push(`${this.context}: ${String(message)}`);
    };
    try {
      const moduleRef = await Test.createTestingModule({
        imports: [InngestModule.forRoot(devOptions)],
      }).compile();
      const client = moduleRef.get(InngestService).client as unknown as {
        logger: { info(...args: unknown[]): void };
      };
      client.logger.info('order %s reserved', 'o-1');
      await moduleRef.close();
    } finally {
      Logger.prototype.log = original;
    }
    expect(lines).toContain('Inngest: order o-1 reserved');
  });
});
