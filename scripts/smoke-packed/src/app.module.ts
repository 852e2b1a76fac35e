import { Module } from '@nestjs/common';
import { CircuitBreakerModule } from '@sagaline/circuit-breaker';
import { EventStore, EventStoreModule, eventStoreAudit } from '@sagaline/event-store';
import { InngestModule } from '@sagaline/nestjs-inngest';
import { SagaModule } from '@sagaline/saga';
import { transferStream } from './events.js';
import { Ledger } from './ledger.js';
import { RatesClient } from './rates.client.js';
import { TransferSaga } from './transfer.saga.js';

@Module({
  imports: [
    // As the event-store README shows: PGlite in a data directory, no database server.
    EventStoreModule.forRoot({ adapter: { kind: 'pglite', dataDir: './.data/events' }, isGlobal: true }),
    // As docs/event-sourcing.md shows: the audit middleware records every event with its run.
    InngestModule.forRootAsync({
      isGlobal: true,
      inject: [EventStore],
      useFactory: (store: EventStore) => ({
        appId: 'smoke',
        middleware: [
          eventStoreAudit(store, {
            // Events without a transfer id (the saga's own saga/* events) go to a stream per name.
            streamId: (event) => {
              const { transferId } = event.data as { transferId?: string };
              return transferId ? transferStream(transferId) : event.name;
            },
          }),
        ],
      }),
    }),
    SagaModule.forRoot({}),
    CircuitBreakerModule.forRoot({ isGlobal: true }),
  ],
  providers: [Ledger, TransferSaga, RatesClient],
})
export class AppModule {}
