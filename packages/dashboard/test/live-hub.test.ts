import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveHub } from '../src/http/live-hub';
import type { SagaSummary } from '../src/sources/saga-index';
import type { BreakerSnapshotLike } from '../src/sources/source.types';
import { waitFor } from './support/wait';

/** A response as the hub uses it, recording what it was sent. */
class FakeResponse extends EventEmitter {
  destroyed = false;
  writableLength = 0;
  readonly chunks: string[] = [];
  writeHead() {
    return this;
  }
  write(chunk: string) {
    this.chunks.push(chunk);
    return true;
  }
  end() {}
  destroy() {
    this.destroyed = true;
    this.emit('close');
  }
  /** The data of each event of a type it was sent. */
  sent(type: string): unknown[] {
    return this.chunks
      .filter((chunk) => chunk.startsWith(`event: ${type}\n`))
      .map((chunk) => JSON.parse(chunk.slice(chunk.indexOf('data: ') + 6)));
  }
}

const asResponse = (fake: FakeResponse) => fake as unknown as ServerResponse;
const saga = (runId: string): SagaSummary => ({
  runId,
  sagaId: 'checkout',
  status: 'running',
  completedSteps: 0,
  startedAt: 1,
  updatedAt: 1,
});

describe('the live feed', () => {
  let calls = 0;
  const breakers = (): BreakerSnapshotLike[] => [
    {
      name: 'payments',
      state: 'closed',
      openedAt: 0,
      probeAt: 0,
      degraded: false,
      stats: { calls, failures: 0, slowCalls: 0, failureRate: 0, slowCallRate: 0 },
      totals: {},
    },
  ];
  let hub: LiveHub;
  afterEach(() => hub?.close());

  it('sends the first breakers to the new page only', () => {
    hub = new LiveHub(breakers, (value) => value);
    const first = new FakeResponse();
    const second = new FakeResponse();
    hub.open(asResponse(first));
    hub.open(asResponse(second));
    expect(first.sent('breakers')).toHaveLength(1);
    expect(second.sent('breakers')).toHaveLength(1);
  });

  it('keeps no page that went away before it opened, and drops one that stopped reading', () => {
    hub = new LiveHub(breakers, (value) => value);
    const gone = new FakeResponse();
    gone.destroyed = true;
    hub.open(asResponse(gone));
    const stalled = new FakeResponse();
    hub.open(asResponse(stalled));
    stalled.writableLength = 2 * 1024 * 1024;
    hub.breakerChanged();
    expect(gone.chunks).toEqual([]);
    expect(stalled.destroyed).toBe(true);
    expect(stalled.sent('breakers')).toHaveLength(1);
  });

  it('pushes the breakers’ counts after saga activity stops, even within a second of the last push', async () => {
    calls = 0;
    hub = new LiveHub(breakers, (value) => value);
    const page = new FakeResponse();
    hub.open(asResponse(page));
    hub.breakerChanged();
    calls = 7;
    hub.sagaChanged(saga('run-1'));
    await waitFor('the counts after the last saga change', async () =>
      page.sent('breakers').some((items: any) => items[0].stats.calls === 7),
    );
  });
});
