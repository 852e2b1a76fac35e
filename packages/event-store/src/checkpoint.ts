/**
 * Checkpoints are opaque strings that sort like the global order: the writing transaction's id and
 * the global position, each zero-padded to 20 digits. The memory adapter uses its commit counter
 * as the transaction id, so checkpoints look and compare the same for every adapter.
 */
export const START_CHECKPOINT = `${'0'.repeat(20)}:${'0'.repeat(20)}`;

/** @internal */
export function encodeCheckpoint(
  transaction: string | number | bigint,
  position: string | number | bigint,
): string {
  return `${String(transaction).padStart(20, '0')}:${String(position).padStart(20, '0')}`;
}

/** @internal Returns `null` for a string that is not a checkpoint. */
export function decodeCheckpoint(checkpoint: string): { transaction: string; position: string } | null {
  const match = /^(\d{20}):(\d{20})$/.exec(checkpoint);
  if (!match) return null;
  return { transaction: match[1]!.replace(/^0+(?=\d)/, ''), position: match[2]!.replace(/^0+(?=\d)/, '') };
}
