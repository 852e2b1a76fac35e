import { describe, expect, it } from 'vitest';
import { type ProjectionDefinition, TransactionAbortedError } from '../../src';
import type { AdapterFixture } from './adapters';

/** An inline projection whose write the database refuses: jsonb holds no NUL character. */
const refusedByTheDatabase: ProjectionDefinition<{ note: string }> = {
  name: 'refused-by-the-database',
  mode: 'inline',
  eventTypes: ['note.taken'],
  async evolve(event, docs) {
    await docs.put(event.streamId, { note: '\u0000' });
  },
};

/**
 * What only the SQL adapters do: a failed statement aborts the database transaction, whatever the
 * work does with its error.
 */
export function sqlTransactionSuite(fixture: AdapterFixture): void {
  describe(`${fixture.name} adapter: a transaction whose work catches a failed statement`, () => {
    it('fails with TransactionAbortedError, commits nothing and reports no append', async () => {
      const store = await fixture.create({ projections: [refusedByTheDatabase] });
      const heard: unknown[] = [];
      store.onAppended((streams) => heard.push(streams));
      const outcome = await store
        .transaction(async (tx) => {
          await tx.appendToStream('order-t1', [{ type: 'order.created', data: { orderId: 't1' } }]);
          await tx
            .appendToStream('note-t1', [{ type: 'note.taken', data: {} }])
            .catch(() => 'caught, and the work goes on');
        })
        .catch((error: unknown) => error);
      expect(outcome).toBeInstanceOf(TransactionAbortedError);
      expect(outcome).toMatchObject({ code: 'TRANSACTION_ABORTED', cause: expect.any(Error) });
      expect((outcome as Error).message).toMatch(
        /^The transaction was not committed: one of its statements failed \(.+\) and the work went on after catching the error\. Let the error propagate out of transaction\(\), or rethrow it\.$/,
      );
      expect((await store.readStream('order-t1')).exists).toBe(false);
      expect(heard).toEqual([]);
    });
  });
}
