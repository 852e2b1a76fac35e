import { describe, expect, it } from 'vitest';
import { SagaIndex } from '../src/sources/saga-index';
import type { SagaStateLike } from '../src/sources/source.types';

const state = (i: number, status = 'completed', sagaId = 'order'): SagaStateLike => ({
  sagaId,
  runId: `run-${String(i).padStart(3, '0')}`,
  businessKey: `ord-${i}`,
  status,
  startedSteps: ['a', 'b'],
  completedSteps: status === 'running' ? ['a'] : ['a', 'b'],
  compensatedSteps: [],
  results: {},
  compensationFailures: [],
  timings: {},
  startedAt: 1_000 + i,
  updatedAt: 2_000 + i,
  event: { name: 'order.ready', data: {} },
});

describe('the saga list', () => {
  it('pages newest first, counts every status, and filters by status, saga id and key prefix', () => {
    const index = new SagaIndex(1_000);
    for (let i = 0; i < 60; i++)
      index.fromState(state(i, i % 3 === 0 ? 'running' : 'completed', i < 30 ? 'order' : 'backorder'));
    const first = index.query({});
    expect(first).toMatchObject({ total: 60, page: 1, size: 25, counts: { running: 20, completed: 40 } });
    expect(first.items[0].runId).toBe('run-059');
    expect(first.items[0].step).toBeUndefined();
    expect(index.query({ page: 3 }).items.map((s) => s.runId)).toEqual(
      Array.from({ length: 10 }, (_, i) => `run-${String(9 - i).padStart(3, '0')}`),
    );
    expect(index.query({ status: 'running', sagaId: 'order' }).total).toBe(10);
    expect(index.query({ q: 'ord-5' }).items.map((s) => s.businessKey)).toEqual([
      'ord-59',
      'ord-58',
      'ord-57',
      'ord-56',
      'ord-55',
      'ord-54',
      'ord-53',
      'ord-52',
      'ord-51',
      'ord-50',
      'ord-5',
    ]);
    expect(index.query({ q: 'run-042' }).items[0].runId).toBe('run-042');
    expect(index.query({ status: 'running' }).items[0]).toMatchObject({ step: 'b', completedSteps: 1 });
  });

  it('updates an instance in place as its saga saves, and forgets the oldest past its bound', () => {
    const index = new SagaIndex(10);
    index.fromState(state(1, 'running'));
    index.fromState(state(1, 'completed'));
    expect(index.query({}).items).toHaveLength(1);
    expect(index.get('run-001')).toMatchObject({ status: 'completed', step: undefined });
    for (let i = 2; i <= 30; i++) index.fromState(state(i));
    expect(index.size).toBeLessThanOrEqual(11);
    expect(index.get('run-030')).toBeDefined();
    expect(index.get('run-001')).toBeUndefined();
  });
});
