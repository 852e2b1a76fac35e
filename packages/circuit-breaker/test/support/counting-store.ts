import type {
  CircuitBreakerOptions,
  CircuitState,
  SharedCircuitStore,
  SharedOutcome,
  SharedState,
  StoreWatch,
} from '../../src';

/** A real store, with a count of the calls each of its methods received. */
export class CountingStore implements SharedCircuitStore {
  readonly calls = { admit: 0, record: 0, trip: 0, force: 0 };

  constructor(private readonly store: SharedCircuitStore) {}

  admit(name: string, options: CircuitBreakerOptions, outcome?: SharedOutcome) {
    this.calls.admit++;
    return this.store.admit(name, options, outcome);
  }

  record(name: string, options: CircuitBreakerOptions, outcome: SharedOutcome) {
    this.calls.record++;
    return this.store.record(name, options, outcome);
  }

  trip(name: string, options: CircuitBreakerOptions, knownEpoch: number) {
    this.calls.trip++;
    return this.store.trip(name, options, knownEpoch);
  }

  force(name: string, state: CircuitState | 'reset') {
    this.calls.force++;
    return this.store.force(name, state);
  }

  watch(name: string, listener: (state: SharedState) => void): StoreWatch {
    return this.store.watch!(name, listener);
  }
}
