import { SagaStepFailedError } from './saga.errors';
import type { SagaFailure } from './saga.types';

/** @internal A thrown error, or a serialized one, as the failure a saga reports. */
export function toFailure(error: unknown): SagaFailure {
  if (error instanceof SagaStepFailedError)
    return { stepId: error.stepId, name: error.causeName, message: error.causeMessage };
  const e = error as { name?: string; message?: string; stepId?: string };
  return { stepId: e?.stepId ?? 'unknown', name: e?.name ?? 'Error', message: e?.message ?? String(error) };
}
