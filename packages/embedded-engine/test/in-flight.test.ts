import { Injectable } from '@nestjs/common';
import { type InngestContext, InngestFunction } from '@sagaline/nestjs-inngest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedEngine, EngineConfigurationError } from '../src';
import { type EmbeddedApp, startEmbeddedApp } from './support/embedded-app';

const trace: string[] = [];

@Injectable()
class SlowWork {
  /** No concurrency limit of its own: only the engine's bound keeps its runs apart. */
  @InngestFunction({ id: 'slow', triggers: { event: 'flight/slow' } })
  async slow({ event }: InngestContext) {
    trace.push(`enter ${event.data.n}`);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    trace.push(`exit ${event.data.n}`);
    return event.data.n;
  }
}

describe('maxCallsInFlight', () => {
  let subject: EmbeddedApp;
  beforeAll(async () => {
    subject = await startEmbeddedApp(
      'express',
      [SlowWork],
      { retryBackoffScale: 0, maxCallsInFlight: 1 },
      'flight',
    );
  });
  afterAll(() => subject?.close());

  it('sends no more Call Requests at once than the bound, across runs of functions with no limit', async () => {
    const { ids } = await subject.inngest.send(
      [1, 2, 3, 4].map((n) => ({ name: 'flight/slow', data: { n } })),
    );
    for (const eventId of ids) await subject.engine.waitForRun({ eventId, status: 'completed' });
    expect(trace).toHaveLength(8);
    // one request at a time: every enter is followed by its own exit
    for (let i = 0; i < trace.length; i += 2) {
      expect(trace[i + 1]).toBe(trace[i].replace('enter', 'exit'));
    }
  });

  it('refuses a bound that is not a whole number of 1 or more, naming the option', async () => {
    for (const bad of [0, 1.5, -1]) {
      const refused = EmbeddedEngine.start({ maxCallsInFlight: bad });
      await expect(refused).rejects.toThrow(EngineConfigurationError);
      await expect(refused).rejects.toThrow(/maxCallsInFlight must be a whole number/);
    }
  });
});
