// The saga layer's cost: a five-step @Saga against the same five steps written as a plain
// @InngestFunction, both on the embedded engine through the real serve endpoint, in one run.
// With `lifecycleEvents: 'all'` the saga also sends its progress events, so it is compared with
// the plain function sending the same events in one step.sendEvent, as a hand-written one would.
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  INNGEST_EMBEDDED_ENGINE,
  type InngestContext,
  InngestFunction,
  InngestModule,
  InngestService,
} from '@sagaline/nestjs-inngest';
import { Saga, type SagaLifecycleEvents, SagaModule, SagaStep } from '../src';

const RUNS = Number(process.env.BENCH_RUNS ?? 1000);
const STEPS = ['one', 'two', 'three', 'four', 'five'];

@Injectable()
class PlainFunction {
  @InngestFunction({ id: 'plain', triggers: { event: 'bench/plain' } })
  async run({ step }: InngestContext) {
    for (const name of STEPS) await step.run(name, () => name);
    return 'done';
  }
}

@Injectable()
class PlainFunctionWithEvents {
  @InngestFunction({ id: 'plain-events', triggers: { event: 'bench/plain-events' } })
  async run({ step, runId }: InngestContext) {
    for (const name of STEPS) await step.run(name, () => name);
    const data = { sagaId: 'plain-events', runId };
    await step.sendEvent('events', [
      { name: 'saga/started', id: `${runId}:started`, data },
      ...STEPS.map((stepId) => ({
        name: 'saga/step.completed',
        id: `${runId}:${stepId}`,
        data: { ...data, stepId },
      })),
      { name: 'saga/completed', id: `${runId}:completed`, data: { ...data, status: 'completed' } },
    ]);
    return 'done';
  }
}

function sagaClass(id: string, lifecycleEvents: SagaLifecycleEvents) {
  @Saga({ id, trigger: `bench/${id}`, lifecycleEvents })
  class FiveStepSaga {
    @SagaStep('one') one() {
      return 'one';
    }
    @SagaStep('two') two() {
      return 'two';
    }
    @SagaStep('three') three() {
      return 'three';
    }
    @SagaStep('four') four() {
      return 'four';
    }
    @SagaStep('five') five() {
      return 'five';
    }
  }
  return FiveStepSaga;
}

async function main() {
  @Module({
    imports: [
      InngestModule.forRoot({ appId: 'bench', mode: 'embedded', isGlobal: true }),
      SagaModule.forRoot({}),
    ],
    providers: [
      PlainFunction,
      PlainFunctionWithEvents,
      sagaClass('saga', 'failures'),
      sagaClass('saga-all', 'all'),
    ],
  })
  class BenchModule {}
  const app = await NestFactory.create(BenchModule, { logger: false, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  const inngest = app.get(InngestService);
  await inngest.whenSynced();
  const engine = app.get(INNGEST_EMBEDDED_ENGINE);

  // [label, triggering event, index of the variant it is measured against]
  const variants = [
    ['plain @InngestFunction, 5 step.run', 'bench/plain', 0],
    ["@Saga, 5 steps (default lifecycleEvents: 'failures')", 'bench/saga', 0],
    ['plain @InngestFunction, 5 step.run + 1 step.sendEvent of 7 events', 'bench/plain-events', 0],
    ["@Saga, 5 steps, lifecycleEvents: 'all' (7 events)", 'bench/saga-all', 2],
    // The same function as row 1: how far apart two identical variants land shows this run's noise.
    ['plain @InngestFunction again (A/A control)', 'bench/plain', 0],
  ] as const;
  const once = async (event: string) => {
    const started = performance.now();
    const { ids } = await inngest.send({ name: event, data: {} });
    const run = await engine.waitForRun({ eventId: ids[0] });
    if (run.status !== 'completed') throw new Error(`${event} run ${run.status}`);
    return performance.now() - started;
  };
  for (let i = 0; i < 20; i++) for (const [, event] of variants) await once(event); // warm-up
  // Interleaved, so that drift of the machine affects every variant alike, and rotated, so that
  // no variant always runs right after the same one (a run's tail work overlaps the next run).
  const times = variants.map(() => [] as number[]);
  for (let i = 0; i < RUNS; i++) {
    for (let k = 0; k < variants.length; k++) {
      const index = (i + k) % variants.length;
      times[index]!.push(await once(variants[index]![1]));
    }
  }
  const rows = variants.map(
    ([label, , against], index) => [label, times[index]!.sort((a, b) => a - b), against] as const,
  );
  await app.close();

  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const p = (values: number[], q: number) =>
    values[Math.min(values.length - 1, Math.floor(q * values.length))]!;
  console.log(
    `\nSaga layer overhead, ${RUNS} sequential runs each, embedded engine (Node ${process.version})\n`,
  );
  console.log('| variant | mean ms | p50 ms | p99 ms | vs the plain function it matches |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const [label, times, against] of rows) {
    const ratio = mean(times) / mean(rows[against]![1]);
    console.log(
      `| ${label} | ${mean(times).toFixed(2)} | ${p(times, 0.5).toFixed(2)} | ${p(times, 0.99).toFixed(2)} | ${ratio.toFixed(3)}x (row ${against + 1}) |`,
    );
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
