import type { SagaStateLike } from '../../src/sources/source.types';

/** A completed `checkout` saga with nothing stored yet, run `run-1` unless `overrides` say otherwise. */
export const completedSagaState = (overrides: Partial<SagaStateLike> = {}): SagaStateLike => ({
  sagaId: 'checkout',
  runId: 'run-1',
  status: 'completed',
  startedSteps: [],
  completedSteps: [],
  compensatedSteps: [],
  results: {},
  compensationFailures: [],
  timings: {},
  startedAt: 1,
  updatedAt: 2,
  event: { name: 'checkout.requested', data: {} },
  ...overrides,
});
