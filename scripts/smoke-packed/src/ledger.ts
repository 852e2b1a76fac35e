import { Injectable } from '@nestjs/common';
import { EventStore } from '@sagaline/event-store';
import { transferStream } from './events.js';

/** A pretend bank ledger: remembers what the saga did and records it in the event store. */
@Injectable()
export class Ledger {
  readonly calls: string[] = [];

  constructor(private readonly events: EventStore) {}

  async debit(transferId: string, amount: number) {
    this.calls.push(`debit(${transferId})`);
    // A deterministic id makes the append safe to retry (docs/event-sourcing.md).
    await this.events.appendToStream(transferStream(transferId), [
      { id: `${transferId}:debited`, type: 'funds.debited', data: { transferId, amount } },
    ]);
    return { debitId: `d-${transferId}` };
  }

  async refund(transferId: string, debitId: string | undefined) {
    this.calls.push(`refund(${debitId ?? 'unknown'})`);
    await this.events.appendToStream(transferStream(transferId), [
      { id: `${transferId}:refunded`, type: 'funds.refunded', data: { transferId, debitId } },
    ]);
  }

  credit(transferId: string): never {
    this.calls.push(`credit(${transferId})`);
    throw new Error(`credit of ${transferId} refused by the receiving bank`);
  }
}
