import {
  Compensate,
  SAGA_UNKNOWN_OUTPUT,
  Saga,
  type SagaContext,
  SagaStep,
  type StepOutput,
} from '@sagaline/saga';
import type { TransferRequested } from './events.js';
import { Ledger } from './ledger.js';

/** Debits, then credits; the credit always fails, so the debit must be refunded. */
@Saga({ id: 'transfer', trigger: 'transfer/requested', businessKey: 'transferId' })
export class TransferSaga {
  constructor(private readonly ledger: Ledger) {}

  @SagaStep('debit')
  debit(ctx: SagaContext<TransferRequested>) {
    return this.ledger.debit(ctx.event.data.transferId, ctx.event.data.amount);
  }

  @Compensate('debit')
  refund(ctx: SagaContext<TransferRequested>, debit: StepOutput<{ debitId: string }>) {
    const debitId = debit === SAGA_UNKNOWN_OUTPUT ? undefined : debit.debitId;
    return this.ledger.refund(ctx.event.data.transferId, debitId);
  }

  // One attempt: the smoke test checks the compensation, not the retry schedule.
  @SagaStep('credit', { retry: { attempts: 1 } })
  credit(ctx: SagaContext<TransferRequested>) {
    return this.ledger.credit(ctx.event.data.transferId);
  }
}
