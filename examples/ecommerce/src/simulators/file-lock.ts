import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Another live process has the ledger open: two writers would each keep their own copy of it. */
export class LedgerLockedError extends Error {
  readonly code = 'SIMULATOR_LEDGER_LOCKED';
  constructor(
    readonly file: string,
    readonly pid: number,
  ) {
    super(
      `The simulator ledger ${file} is in use by process ${pid}. Stop that process first, ` +
        'or give this one another data directory (SIMULATORS_DATA_DIR).',
    );
    this.name = 'LedgerLockedError';
  }
}

/** Files this process has locked, so a second open in the same process is refused as well. */
const heldHere = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is just not ours
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Locks `file` to this process with `<file>.lock`, holding its pid; returns the unlock function.
 * A lock left by a process that died (a `kill -9` cannot clean up) is taken over.
 */
export function lockFile(file: string): () => void {
  const path = resolve(file);
  const lock = `${path}.lock`;
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      const holder = Number(readFileSync(lock, 'utf8'));
      const ours = holder === process.pid;
      if ((ours && heldHere.has(path)) || (!ours && Number.isInteger(holder) && isAlive(holder))) {
        throw new LedgerLockedError(path, holder);
      }
      rmSync(lock, { force: true });
    }
  }
  heldHere.add(path);
  return () => {
    heldHere.delete(path);
    rmSync(lock, { force: true });
  };
}
