import { Injectable } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  DeclaresInngestFunctions,
  INNGEST_EMBEDDED_ENGINE,
  InngestFunction,
  InngestModule,
  InngestService,
  InngestSyncTimeoutError,
} from '../src';
import { type Platform, startApp, type TestApp } from './support/app';
import { engineAvailable, engineOf } from './support/embedded';
import { OrderFunctions, PricingService } from './support/fixtures';
import { LogCapture } from './support/log-capture';

/** Declares a function, but no app of this file lists it in `providers`. */
@Injectable()
// biome-ignore lint/correctness/noUnusedVariables: defined and never provided, the mistake under test
class ForgottenReceipts {
  @InngestFunction({ id: 'send-receipt', triggers: { event: 'receipt/requested' } })
  async send() {
    return 'sent';
  }
}

@Injectable()
/** Stands for a class another package turns into functions (`@Saga`), here without that package's module. */
@Injectable()
@DeclaresInngestFunctions({ decorator: '@Saga', module: 'SagaModule.forRoot()', functionIds: ['checkout'] })
class CheckoutSaga {}

@Injectable()
class AuditTrail {
  readonly seen: string[] = [];

  @InngestFunction({ id: 'audit', triggers: { event: 'audit/*' } })
  async record({ event }: { event: { name: string } }) {
    this.seen.push(event.name);
  }
}

// In CI the engine is always installed (also in the NestJS 11 job): a missing one fails there.
describe.skipIf(!engineAvailable && !process.env.CI).each<Platform>(['express', 'fastify'])(
  'embedded mode on %s',
  (platform) => {
    let testApp: TestApp | undefined;
    afterEach(async () => {
      await testApp?.close();
      testApp = undefined;
    });

    const embedded = (options: Partial<Parameters<typeof InngestModule.forRoot>[0]> = {}) =>
      InngestModule.forRoot({ appId: 'shop', mode: 'embedded', ...options });

    it('starts the run of an event sent right after app.listen(), without awaiting whenSynced()', async () => {
      testApp = await startApp(platform, {
        imports: [embedded()],
        providers: [PricingService, OrderFunctions],
      });

      const { ids } = await testApp.app
        .get(InngestService)
        .send({ name: 'order/created', data: { orderId: 'o-1' } });

      const run = await engineOf(testApp.app).waitForRun({ eventId: ids[0] });
      expect(run).toMatchObject({ status: 'completed', output: { orderId: 'o-1', total: 84 } });
      expect(testApp.app.get(PricingService).calls).toEqual(['o-1']);
    });

    it('fails send() and whenSynced() with InngestSyncTimeoutError naming app.listen() when the app never listens', async () => {
      testApp = await startApp(
        platform,
        { imports: [embedded({ syncTimeoutMs: 200 })], providers: [PricingService, OrderFunctions] },
        undefined,
        { listen: false },
      );
      const inngest = testApp.app.get(InngestService);

      const sent = inngest.send({ name: 'order/created', data: { orderId: 'never' } });
      await expect(sent).rejects.toThrow(InngestSyncTimeoutError);
      await expect(sent).rejects.toMatchObject({
        code: 'INNGEST_SYNC_TIMEOUT',
        mode: 'embedded',
        timeoutMs: 200,
      });
      await expect(sent).rejects.toThrow(
        'call `await app.listen(port)` before awaiting whenSynced() or send()',
      );
      await expect(inngest.whenSynced()).rejects.toThrow(InngestSyncTimeoutError);
      expect(await engineOf(testApp.app).listRuns()).toEqual([]);
    });

    it('warns at sync that the app has no functions, naming the decorated class that no module provides', async () => {
      const logs = new LogCapture();
      testApp = await startApp(platform, { imports: [embedded()], providers: [PricingService] }, undefined, {
        logger: logs,
      });
      await testApp.app.get(InngestService).whenSynced();

      await vi.waitFor(() => expect(logs.find('warn', 'the app has no Inngest functions')).toHaveLength(1));
      const [warning] = logs.find('warn', 'the app has no Inngest functions');
      expect(warning).toContain("Add the classes that declare your functions to a module's `providers`");
      // Every decorated class this process has loaded and this app does not provide is named.
      expect(warning).toMatch(
        /Declared with @InngestFunction but in no module's `providers`: .*ForgottenReceipts\.send/,
      );
    });

    it("names the module to import when a provided class is another package's functions (@Saga without SagaModule)", async () => {
      const logs = new LogCapture();
      testApp = await startApp(platform, { imports: [embedded()], providers: [CheckoutSaga] }, undefined, {
        logger: logs,
      });
      await testApp.app.get(InngestService).whenSynced();

      await vi.waitFor(() =>
        expect(logs.find('warn', 'CheckoutSaga is decorated with @Saga')).toHaveLength(1),
      );
      expect(logs.find('warn', 'CheckoutSaga is decorated with @Saga')[0]).toContain(
        'its Inngest function "checkout" is not served, so no event will start it: import SagaModule.forRoot() in a module of this app.',
      );
      // The specific cause replaces the generic advice about `providers`, which would mislead here.
      expect(logs.find('warn', 'the app has no Inngest functions')).toEqual([]);
    });

    it('warns once per event name that no function is triggered by, naming the class missing from providers', async () => {
      const logs = new LogCapture();
      testApp = await startApp(
        platform,
        { imports: [embedded()], providers: [PricingService, OrderFunctions, AuditTrail] },
        undefined,
        { logger: logs },
      );
      const inngest = testApp.app.get(InngestService);

      await inngest.send({ name: 'receipt/requested', data: { orderId: 'o-1' } });
      await inngest.send({ name: 'receipt/requested', data: { orderId: 'o-2' } });
      await inngest.send({ name: 'order/created', data: { orderId: 'o-3' } });
      const { ids } = await inngest.send({ name: 'audit/order.viewed', data: {} });

      const warnings = logs.find('warn', 'No function is triggered by');
      expect(warnings).toEqual([
        'No function is triggered by "receipt/requested": the embedded engine stored the event, but none of the ' +
          '3 functions of this app listens to it. ForgottenReceipts.send is triggered by it, but ForgottenReceipts ' +
          "is in no module's `providers`, so Nest never created it: add ForgottenReceipts to the `providers` of a module.",
      ]);
      await engineOf(testApp.app).waitForRun({ eventId: ids[0] });
      expect(testApp.app.get(AuditTrail).seen).toEqual(['audit/order.viewed']);
    });

    it('fails a run whose triggering event does not match its schema, without retries and before the handler runs', async () => {
      testApp = await startApp(platform, {
        imports: [embedded({ schemas: { 'order/created': z.object({ orderId: z.string() }) } })],
        providers: [PricingService, OrderFunctions],
      });
      await testApp.app.get(InngestService).whenSynced();
      const engine = engineOf(testApp.app);

      // Another sender, without this app's schemas, posts to the engine's event API.
      const response = await fetch(`${engine.baseUrl}/e/${engine.eventKey}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'order/created', data: { orderId: 42 } }),
      });
      const { ids } = (await response.json()) as { ids: string[] };

      const run = await engine.waitForRun({ eventId: ids[0] });
      expect(run.status).toBe('failed');
      expect(run.error).toMatchObject({ name: 'NonRetriableError' });
      expect(run.error!.message).toContain(
        'Function "price-order" was triggered by event "order/created", whose data does not match its schema',
      );
      expect(run.error!.message).toContain('data.orderId: Invalid input: expected string, received number');
      expect(testApp.app.get(PricingService).calls).toEqual([]);
    });

    it('stops the engine before Nest closes the HTTP server, so runs in progress do not hold the server open', async () => {
      testApp = await startApp(platform, {
        imports: [embedded()],
        providers: [PricingService, OrderFunctions],
      });
      const engine = testApp.app.get(INNGEST_EMBEDDED_ENGINE)!;
      await testApp.app.get(InngestService).send({ name: 'order/created', data: { orderId: 'in-flight' } });
      const closed: string[] = [];
      const closeEngine = engine.close.bind(engine);
      vi.spyOn(engine, 'close').mockImplementation(async () => {
        await closeEngine();
        closed.push('engine');
      });
      testApp.app.getHttpServer().once('close', () => closed.push('http server'));

      await testApp.close();
      testApp = undefined;

      expect(closed).toEqual(['engine', 'http server']);
    });
  },
);
