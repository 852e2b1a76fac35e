import { Inject, Injectable } from '@nestjs/common';
import { SAGA_STATE_STORE } from './saga.module-definition';
import type { SagaState, SagaStateStore } from './saga.state';

/** Queries saga instances: by run id, or by business key such as an order id. */
@Injectable()
export class SagaService {
  /** @internal */
  constructor(@Inject(SAGA_STATE_STORE) private readonly store: SagaStateStore) {}

  /** A saga instance by its run id. */
  getState(runId: string): Promise<SagaState | undefined> {
    return this.store.get(runId);
  }

  /** Instances of a saga with a business key (e.g. every `order-processing` of order `o-42`). */
  findByBusinessKey(sagaId: string, businessKey: string): Promise<SagaState[]> {
    return this.store.findByBusinessKey(sagaId, businessKey);
  }
}
