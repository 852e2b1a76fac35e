import type { ManualClock } from '../../embedded-engine/src';
import type { EmbeddedApp } from '../../embedded-engine/test/support/embedded-app';
import { waitFor } from '../../embedded-engine/test/support/wait-for';

/**
 * Sends `name` with `data`, then wakes each durable sleep the run falls into by moving the
 * engine's clock to the sleep's due time. Resolves with the ended run and how far ahead each sleep
 * was due when it was requested; `onSleep` sees the run parked at each sleep before it wakes.
 */
export async function runThroughSleeps(
  subject: EmbeddedApp,
  clock: ManualClock,
  name: string,
  data: Record<string, unknown>,
  onSleep?: (runId: string, sleepName: string) => Promise<void>,
) {
  const { ids } = await subject.inngest.send({ name, data });
  const { id: runId } = await subject.engine.waitForRun({ eventId: ids[0], status: 'running' });
  const sleeps: Record<string, number> = {};
  for (;;) {
    let sleep: { name: string; dueAt: number } | undefined;
    await waitFor(async () => {
      const run = await subject.engine.getRun(runId);
      sleep = run?.pending.find((work) => work.kind === 'sleep' && !(work.name in sleeps)) as typeof sleep;
      return run?.status !== 'running' || sleep !== undefined;
    });
    if (!sleep) return { run: await subject.engine.waitForRun({ runId }), sleeps, runId };
    sleeps[sleep.name] = sleep.dueAt - clock.now();
    await onSleep?.(runId, sleep.name);
    await clock.advance(sleeps[sleep.name]!);
  }
}
