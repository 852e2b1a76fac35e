import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const EXAMPLE_DIR = fileURLToPath(new URL('../..', import.meta.url));
const OUTPUT_KEPT = 64 * 1024;

/** The shop as its own OS process (`src/main.ts`, as `pnpm example` runs it), for crash tests. */
export interface ShopProcess {
  readonly url: string;
  /** Whether it ended without being told to. */
  diedOnItsOwn(): boolean;
  /** The last 64 KiB it wrote. */
  output(): string;
  /** SIGKILL: the process ends at once, nothing cleaned up. Resolves once it is gone. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`. Resolves with whether it stopped in time. */
  stop(graceMs?: number): Promise<boolean>;
}

/** A free TCP port on 127.0.0.1 (one port for every life of the shop, as a restarted service has). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts the shop with `env` on `port` and resolves once `GET /health` answers 200 (it listens only
 * after it has synced with the engine and resumed what the last life left).
 */
export async function startShopProcess(
  env: Record<string, string>,
  port: number,
  readyTimeoutMs = 120_000,
): Promise<ShopProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', '@swc-node/register/esm-register', 'src/main.ts'],
    {
      cwd: EXAMPLE_DIR,
      env: { ...process.env, ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEPT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let told = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (gone()) throw new Error(`The shop exited before it was ready:\n${output}`);
    const healthy = await fetch(`${url}/health`).then(
      (response) => response.status === 200,
      () => false,
    );
    if (healthy) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`The shop was not ready within ${readyTimeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  return {
    url,
    diedOnItsOwn: () => gone() && !told,
    output: () => output,
    async kill() {
      told = true;
      if (!gone()) child.kill('SIGKILL');
      await exited;
    },
    async stop(graceMs = 15_000) {
      told = true;
      if (gone()) return true;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const started = Date.now();
      await exited;
      clearTimeout(timer);
      return Date.now() - started < graceMs;
    },
  };
}
