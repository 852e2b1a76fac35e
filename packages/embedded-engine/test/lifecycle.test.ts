import { Injectable } from '@nestjs/common';
import { type InngestContext, InngestFunction } from '@sagaline/nestjs-inngest';
import { NonRetriableError } from 'inngest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedApp, startEmbeddedApp } from './support/embedded-app';

@Injectable()
class LifecycleHandlers {
  @InngestFunction({ id: 'work', triggers: { event: 'life/work' }, retries: 0 })
  async work({ event }: InngestContext) {
    if (event.data.fail) throw new NonRetriableError('boom');
    return 'ok';
  }

  /** Hears every finish, its own included, as the documented global handler does. */
  @InngestFunction({ id: 'audit-finished', triggers: { event: 'inngest/function.finished' } })
  async auditFinished({ event }: InngestContext) {
    return event.data.function_id;
  }

  /** A global failure handler that itself fails. */
  @InngestFunction({ id: 'alert-failed', triggers: { event: 'inngest/function.failed' }, retries: 0 })
  async alertFailed() {
    throw new NonRetriableError('the pager is down');
  }
}

// The server's executor.finalize skips the finish events of runs started by a finish event
// ("Don't recursively trigger internal finish handlers"); without that, both handlers re-trigger
// themselves for ever.
describe('lifecycle events of runs started by lifecycle events', () => {
  let subject: EmbeddedApp;

  beforeAll(async () => {
    subject = await startEmbeddedApp('express', [LifecycleHandlers], { retryBackoffScale: 0 }, 'life');
  });
  afterAll(() => subject?.close());

  it('a handler of every inngest/function.finished runs once per finished run, never for its own finish', async () => {
    const { ids } = await subject.inngest.send({ name: 'life/work', data: {} });
    const work = await subject.engine.waitForRun({ eventId: ids[0] });
    const audit = await subject.engine.waitForRun({ functionId: 'audit-finished', status: 'completed' });
    expect(audit.output).toBe('life-work');
    expect(audit.event.data.run_id).toBe(work.id);
    // The audit run's end and any events it raised were stored together: nothing more can follow.
    expect(await subject.engine.listRuns({ functionId: 'audit-finished' })).toHaveLength(1);
  });

  it('a failing global failure handler does not trigger itself, nor a finish of its own', async () => {
    const { ids } = await subject.inngest.send({ name: 'life/work', data: { fail: true } });
    const work = await subject.engine.waitForRun({ eventId: ids[0] });
    expect(work.status).toBe('failed');
    const alert = await subject.engine.waitForRun({ functionId: 'alert-failed', status: 'failed' });
    expect(alert.event.data.run_id).toBe(work.id);
    const audits = async () =>
      (await subject.engine.listRuns({ functionId: 'audit-finished' })).filter(
        (run) => run.event.data.run_id === work.id,
      );
    // Started in the same transaction as the work run's end, so it exists once that run is reported.
    const [audit] = await audits();
    expect(audit).toBeDefined();
    await subject.engine.waitForRun({ runId: audit!.id });
    expect(await subject.engine.listRuns({ functionId: 'alert-failed' })).toHaveLength(1);
    const allAudits = await subject.engine.listRuns({ functionId: 'audit-finished' });
    expect(allAudits.map((run) => run.event.data.function_id).sort()).toEqual(['life-work', 'life-work']);
  });
});
