// The saga layer's cost: a five-step @Saga against the same five steps written as a plain
// @InngestFunction, both on the embedded engine through the real serve endpoint, in one run.
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
import { Saga, SagaModule, SagaStep } from '../src';

const RUNS = Number(process.env.BENCH_RUNS ?? 300);
const STEPS = ['one', 'two', 'three', 'four', 'five'];

@Injectable()
class PlainFunction {
  @InngestFunction({ id: 'plain', triggers: { event: 'bench/plain' } })
  async run({ step }: InngestContext) {
    for (const name of STEPS) await step.run(name, () => name);
    return 'done';
  }
}

function sagaClass(id: string, lifecycleEvents: boolean) {
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
    providers: [PlainFunction, sagaClass('saga', true), sagaClass('saga-quiet', false)],
  })
  class BenchModule {}
  const app = await NestFactory.create(BenchModule, { logger: false, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  const inngest = app.get(InngestService);
  await inngest.whenSynced();
  const engine = app.get(INNGEST_EMBEDDED_ENGINE);

  const variants = [
    ['plain @InngestFunction, 5 step.run', 'bench/plain'],
    ['@Saga, 5 steps, lifecycle events off', 'bench/saga-quiet'],
    ['@Saga, 5 steps, lifecycle events on (default)', 'bench/saga'],
  ] as const;
  const once = async (event: string) => {
    const started = performance.now();
    const { ids } = await inngest.send({ name: event, data: {} });
    const run = await engine.waitForRun({ eventId: ids[0] });
    if (run.status !== 'completed') throw new Error(`${event} run ${run.status}`);
    return performance.now() - started;
  };
  for (let i = 0; i < 20; i++) for (const [, event] of variants) await once(event); // warm-up
  // Interleaved, so that drift of the machine affects every variant alike.
  const times = variants.map(() => [] as number[]);
  for (let i = 0; i < RUNS; i++) {
    for (const [index, [, event]] of variants.entries()) times[index]!.push(await once(event));
  }
  const rows = variants.map(([label], index) => [label, times[index]!.sort((a, b) => a - b)] as const);
  await app.close();

  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const p = (values: number[], q: number) =>
    values[Math.min(values.length - 1, Math.floor(q * values.length))]!;
  const baseline = mean(rows[0]![1]);
  console.log(
    `\nSaga layer overhead, ${RUNS} sequential runs each, embedded engine (Node ${process.version})\n`,
  );
  console.log('| variant | mean ms | p50 ms | p99 ms | vs plain |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const [label, times] of rows) {
    console.log(
      `| ${label} | ${mean(times).toFixed(2)} | ${p(times, 0.5).toFixed(2)} | ${p(times, 0.99).toFixed(2)} | ${(mean(times) / baseline).toFixed(3)}x |`,
    );
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
