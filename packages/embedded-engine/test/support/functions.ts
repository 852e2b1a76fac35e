import { Injectable } from '@nestjs/common';
import { type InngestContext, InngestFunction } from '@sagaline/nestjs-inngest';
import { NonRetriableError, RetryAfterError, referenceFunction } from 'inngest';

function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Counts executions, so tests can prove what ran and how often. */
export class Probe {
  readonly counts = new Map<string, number>();
  /** Holds the slow branch of a race until a test opens it. */
  private slowBranch = gate();
  readonly inFlight = { current: 0, max: 0 };
  readonly failures: unknown[] = [];

  hit(key: string): number {
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    return count;
  }

  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Resolves once `releaseSlowBranch()` is called. */
  waitForSlowBranch(): Promise<void> {
    return this.slowBranch.promise;
  }

  releaseSlowBranch(): void {
    this.slowBranch.open();
    this.slowBranch = gate();
  }
}

/** One function per engine feature, each started by its own event. */
@Injectable()
export class ConformanceFunctions {
  constructor(readonly probe: Probe) {}

  @InngestFunction({ id: 'three-steps', triggers: { event: 'conf/three-steps' } })
  async threeSteps({ event, step }: InngestContext) {
    const a = await step.run('a', () => `${event.data.input}-a`);
    const b = await step.run('b', () => `${a}-b`);
    return step.run('c', () => `${b}-c`);
  }

  @InngestFunction({ id: 'wildcard', triggers: { event: 'conf/wild.*' } })
  async wildcard({ event }: InngestContext) {
    return event.name;
  }

  @InngestFunction({ id: 'big-orders', triggers: { event: 'conf/order', if: 'event.data.total > 100' } })
  async bigOrders({ event }: InngestContext) {
    return event.data.total;
  }

  @InngestFunction({ id: 'sleeper', triggers: { event: 'conf/sleep' } })
  async sleeper({ event, step }: InngestContext) {
    await step.sleep('nap', '1h');
    await step.sleepUntil('until', new Date(event.data.until as number));
    return step.run('after', () => 'woke');
  }

  @InngestFunction({ id: 'waiter', triggers: { event: 'conf/wait' } })
  async waiter({ step }: InngestContext) {
    const approval = await step.waitForEvent('approval', {
      event: 'conf/approved',
      match: 'data.ticket',
      timeout: '1h',
    });
    return approval ? { approvedBy: approval.data.by } : { timedOut: true };
  }

  @InngestFunction({ id: 'waiter-if', triggers: { event: 'conf/wait-if' } })
  async waiterIf({ step }: InngestContext) {
    const answer = await step.waitForEvent('big-answer', {
      event: 'conf/answer',
      if: 'async.data.value > 10 && async.data.ticket == event.data.ticket',
      timeout: '1h',
    });
    return answer?.data.value ?? null;
  }

  @InngestFunction({ id: 'sender', triggers: { event: 'conf/send' } })
  async sender({ event, step }: InngestContext) {
    const { ids } = await step.sendEvent('fan-out', {
      name: 'conf/wild.sent',
      data: { from: event.data.ticket },
    });
    return ids.length;
  }

  @InngestFunction({ id: 'child', triggers: [{ event: 'conf/child-direct' }] })
  async child({ event, step }: InngestContext) {
    if (event.data.mode === 'fail') throw new NonRetriableError('child refused');
    if (event.data.mode === 'hang') await step.sleep('hang', '2h');
    return { doubled: (event.data.value as number) * 2 };
  }

  @InngestFunction({ id: 'parent', triggers: { event: 'conf/invoke' } })
  async parent({ event, step }: InngestContext) {
    try {
      return await step.invoke('call-child', {
        function: referenceFunction({ functionId: 'child' }),
        data: { value: event.data.value, mode: event.data.mode },
        timeout: '10m',
      });
    } catch (error) {
      return { caught: (error as Error).message };
    }
  }

  @InngestFunction({ id: 'parallel', triggers: { event: 'conf/parallel' } })
  async parallel({ step }: InngestContext) {
    const [x, y, z] = await Promise.all([
      step.run('x', () => this.probe.hit('parallel-x')),
      step.run('y', () => this.probe.hit('parallel-y')),
      step.run('z', () => this.probe.hit('parallel-z')),
    ]);
    return step.run('sum', () => x + y + z);
  }

  @InngestFunction({ id: 'flaky', triggers: { event: 'conf/flaky' }, retries: 3 })
  async flaky({ event, step }: InngestContext) {
    return step.run('sometimes', () => {
      const attempt = this.probe.hit(`flaky-${event.data.ticket}`);
      if (attempt <= 2) throw new Error(`transient failure ${attempt}`);
      return `ok after ${attempt}`;
    });
  }

  @InngestFunction({
    id: 'doomed',
    triggers: { event: 'conf/doomed' },
    retries: 1,
    onFailure: 'doomedFailed',
  })
  async doomed({ event, step }: InngestContext) {
    await step.run('always-fails', () => {
      this.probe.hit(`doomed-${event.data.ticket}`);
      if (event.data.permanent) throw new NonRetriableError('card declined');
      throw new Error('gateway down');
    });
  }

  async doomedFailed({ event, error }: InngestContext & { error: Error }) {
    this.probe.failures.push({
      ticket: (event.data.event as { data: { ticket: string } }).data.ticket,
      message: error.message,
    });
  }

  @InngestFunction({ id: 'retry-after', triggers: { event: 'conf/retry-after' } })
  async retryAfter({ event, step }: InngestContext) {
    return step.run('rate-limited', () => {
      if (this.probe.hit(`retry-after-${event.data.ticket}`) === 1)
        throw new RetryAfterError('slow down', '30s');
      return 'done';
    });
  }

  @InngestFunction({
    id: 'cancellable',
    triggers: { event: 'conf/cancellable' },
    cancelOn: [{ event: 'conf/cancel', match: 'data.ticket' }],
  })
  async cancellable({ step }: InngestContext) {
    await step.sleep('long', '1d');
    return step.run('never', () => this.probe.hit('cancellable-never'));
  }

  @InngestFunction({
    id: 'limited',
    triggers: { event: 'conf/limited' },
    concurrency: { limit: 1, key: 'event.data.customer' },
  })
  async limited({ step }: InngestContext) {
    return step.run('work', async () => {
      this.probe.inFlight.current++;
      this.probe.inFlight.max = Math.max(this.probe.inFlight.max, this.probe.inFlight.current);
      await new Promise((resolve) => setTimeout(resolve, 20));
      this.probe.inFlight.current--;
      return 'done';
    });
  }

  @InngestFunction({ id: 'racer', triggers: { event: 'conf/race' } })
  async racer({ group, step }: InngestContext) {
    return group.parallel({ mode: 'race' }, () =>
      Promise.race([
        step.run('fast-1', () => 'fast').then((first) => step.run('fast-2', () => `${first}-2`)),
        step.run('slow', async () => {
          await this.probe.waitForSlowBranch();
          return 'slow';
        }),
      ]),
    );
  }

  @InngestFunction({ id: 'compound-wait', triggers: { event: 'conf/compound-wait' } })
  async compoundWait({ step }: InngestContext) {
    // The SDK cannot express "1h30m" and sends the timeout as "".
    const answer = await step.waitForEvent('compound', { event: 'conf/never-sent', timeout: '1h30m' });
    return answer === null ? 'expired' : 'answered';
  }

  @InngestFunction({ id: 'oversized', triggers: { event: 'conf/oversized' }, retries: 0 })
  async oversized({ step }: InngestContext) {
    return step.run('huge', () => 'x'.repeat(4 * 1024 * 1024 + 1));
  }

  @InngestFunction({ id: 'fetcher', triggers: { event: 'conf/fetch' } })
  async fetcher({ event, step }: InngestContext) {
    const response = await step.fetch(`${event.data.url}/echo`, {
      method: 'POST',
      body: 'ping',
      headers: { 'x-test': 'yes' },
    });
    return { status: response.status, body: await response.text() };
  }

  @InngestFunction({ id: 'hourly', triggers: { cron: '0 * * * *' } })
  async hourly({ event }: InngestContext) {
    return event.name;
  }
}
