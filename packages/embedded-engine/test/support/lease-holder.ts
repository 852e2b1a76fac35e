import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./hold-lease.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('../..', import.meta.url));

/** Starts a real process whose engine holds the store's lease; resolves once it holds it. */
export async function holdLeaseInChild(kind: 'postgres' | 'pglite', target: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', '@swc-node/register/esm-register', script, kind, target],
    {
      cwd: packageDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      if (output.includes('HELD')) resolve();
    });
    child.stderr!.on('data', (chunk) => {
      output += chunk;
    });
    child.once('exit', (code) => reject(new Error(`the lease holder exited (${code}): ${output}`)));
  });
  return child;
}

/** Kills a process with SIGKILL and resolves once it is gone. */
export function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  return exited;
}
