import { Injectable } from '@nestjs/common';
import type { SagaDefinition } from './saga.types';

/** A registered saga: its definition and the class that declares it. */
export interface RegisteredSaga {
  /** The saga definition built from the decorators. */
  definition: SagaDefinition;
  /** The declaring class. */
  className: string;
}

/** Every saga found at start-up. */
@Injectable()
export class SagaRegistry {
  private readonly sagas = new Map<string, RegisteredSaga>();

  /** @internal */
  add(definition: SagaDefinition, className: string): void {
    this.sagas.set(definition.id, { definition, className });
  }

  /** One saga by id. */
  get(sagaId: string): RegisteredSaga | undefined {
    return this.sagas.get(sagaId);
  }

  /** All sagas. */
  list(): RegisteredSaga[] {
    return [...this.sagas.values()];
  }
}
