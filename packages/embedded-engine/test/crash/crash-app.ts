// The app the crash test kills: a real Nest app (Express) in embedded mode on a durable store.
// test/crash.test.ts runs it from the package folder as
//   node --import ./test/crash/register.mjs test/crash/crash-app.ts
// so that it runs the sources of the engine and the binding (see hooks.mjs), and configures it
// through CRASH_* environment variables.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { Controller, Get, Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import {
  INNGEST_EMBEDDED_ENGINE,
  type InngestContext,
  InngestFunction,
  InngestModule,
  InngestService,
} from '@sagaline/nestjs-inngest';
import { referenceFunction } from 'inngest';
import { EmbeddedEngine, PgliteRunStore, PostgresRunStore, type RunStore } from '../../src';
import { type CrashRun, type SideEffect, slimRun } from './crash-protocol';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`crash-app needs the ${name} environment variable.`);
  return value;
};

const sideEffectLog = env('CRASH_LOG');
const eventKey = env('CRASH_EVENT_KEY');

/**
 * A step's side effect: one line appended synchronously (it is on disk before the step returns, so
 * it survives SIGKILL), and a fresh id the step returns, which the engine stores as its result.
 */
function sideEffect(runId: string, fn: string, step: string, orderId: string): () => string {
  return () => {
    const execId = randomUUID();
    const line: SideEffect = { runId, fn, step, orderId, execId };
    appendFileSync(sideEffectLog, `${JSON.stringify(line)}\n`);
    return execId;
  };
}

@Injectable()
class CrashFunctions {
  @InngestFunction({ id: 'order', triggers: { event: 'crash/order' } })
  async order({ event, step, runId }: InngestContext) {
    const orderId = event.data.orderId as string;
    const reserved = await step.run('reserve', sideEffect(runId, 'order', 'reserve', orderId));
    const charged = await step.run('charge', sideEffect(runId, 'order', 'charge', orderId));
    const packed = await step.run('pack', sideEffect(runId, 'order', 'pack', orderId));
    await step.sleep('cool-off', '1s');
    // A fixed id: a send that ran again after a crash is deduplicated, so one `ship` run per order.
    await step.sendEvent('shipped', { id: `shipped-${orderId}`, name: 'crash/shipped', data: { orderId } });
    const label = await step.invoke('label', {
      function: referenceFunction({ functionId: 'label' }),
      data: { orderId },
      timeout: '10m',
    });
    return { orderId, reserved, charged, packed, label };
  }

  @InngestFunction({ id: 'ship', triggers: { event: 'crash/shipped' } })
  async ship({ event, step, runId }: InngestContext) {
    const orderId = event.data.orderId as string;
    const picked = await step.run('pick', sideEffect(runId, 'ship', 'pick', orderId));
    const dispatched = await step.run('dispatch', sideEffect(runId, 'ship', 'dispatch', orderId));
    return { orderId, picked, dispatched };
  }

  // Only ever invoked; the trigger exists because a function needs one, and nothing sends it.
  @InngestFunction({ id: 'label', triggers: { event: 'crash/label-unused' } })
  async label({ event, step, runId }: InngestContext) {
    const orderId = event.data.orderId as string;
    return step.run('print', sideEffect(runId, 'label', 'print', orderId));
  }
}

/** Lets the driver read the runs without opening the store (a PGlite directory has one owner). */
@Controller('crash')
class CrashController {
  constructor(@Inject(INNGEST_EMBEDDED_ENGINE) private readonly engine: EmbeddedEngine) {}

  @Get('runs')
  async runs(): Promise<CrashRun[]> {
    return (await this.engine.listRuns({})).map(slimRun);
  }
}

async function createStore(): Promise<RunStore> {
  const kind = env('CRASH_STORE');
  if (kind === 'postgres')
    return PostgresRunStore.create({ connectionString: env('CRASH_PG_URL'), schema: env('CRASH_PG_SCHEMA') });
  if (kind === 'pglite') return PgliteRunStore.create({ dataDir: env('CRASH_PGLITE_DIR') });
  throw new Error(`CRASH_STORE must be "postgres" or "pglite", not "${kind}".`);
}

async function main(): Promise<void> {
  const store = await createStore();

  @Module({
    imports: [
      InngestModule.forRoot({
        appId: 'crash',
        mode: 'embedded',
        // The same key for the engine's event API and the client's sends (step.sendEvent).
        eventKey,
        embedded: { store, eventKey, retryBackoffScale: 0.001 },
      }),
    ],
    controllers: [CrashController],
    providers: [CrashFunctions],
  })
  class CrashAppModule {}

  const app = await NestFactory.create(CrashAppModule, new ExpressAdapter(), {
    logger: ['error', 'warn'],
  });
  app.enableShutdownHooks();
  await app.listen(Number(env('CRASH_APP_PORT')), '127.0.0.1');
  await app.get(InngestService).whenSynced();
  const engine = app.get(INNGEST_EMBEDDED_ENGINE);
  if (!(engine instanceof EmbeddedEngine)) {
    throw new Error(
      'The binding started an engine from another copy of @sagaline/embedded-engine than ../../src: ' +
        'run crash-app with --import ./test/crash/register.mjs.',
    );
  }
  const ready = { engineUrl: engine.baseUrl, appUrl: await app.getUrl() };
  process.stdout.write(`READY ${JSON.stringify(ready)}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
