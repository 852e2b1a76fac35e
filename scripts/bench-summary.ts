/**
 * The rows `pnpm bench` ends with: each package's bench (and the shop's load test) records its
 * headline figures here while `SAGALINE_BENCH_SUMMARY` names a file, and `scripts/bench.ts` prints
 * them as one table once every bench has run, so every target is read beside its peer or floor in
 * one place. Run alone, a bench records nothing and prints only its own tables.
 */
import { appendFileSync } from 'node:fs';

/** One row of the summary: what was measured, beside what, and whether it meets its target. */
export interface SummaryRow {
  /** The bench that measured it, such as `event-store` or `shop`. */
  source: string;
  /** What is measured. */
  path: string;
  /** Sagaline's figure, with its unit. */
  sagaline: string;
  /** The peer or floor it is measured beside, with its figure. */
  peer: string;
  /** Sagaline beside the peer as a ratio, in words that say which way is better (`1.87x faster`, `1.17x the floor`). */
  ratio: string;
  /** The target, or `-` when the row has none. */
  target: string;
  /** Whether the target is met; absent when the row has none. */
  met?: boolean;
}

/** The environment variable naming the file the rows are appended to (one JSON object a line). */
export const SUMMARY_FILE_VARIABLE = 'SAGALINE_BENCH_SUMMARY';

/** Appends `rows` to the summary file when `pnpm bench` runs this bench; does nothing otherwise. */
export function recordSummaryRows(rows: SummaryRow[]): void {
  const file = process.env[SUMMARY_FILE_VARIABLE];
  if (!file || rows.length === 0) return;
  appendFileSync(file, rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
}
