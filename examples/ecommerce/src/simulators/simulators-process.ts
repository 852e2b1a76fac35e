import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SimulatorUrls } from './simulators';
import { loadSimulatorsConfig } from './simulators-config';

/** The message the simulators process sends its parent over IPC once every simulator listens. */
export interface SimulatorsReadyMessage {
  type: 'sagaline.simulators.ready';
  pid: number;
  dataDir: string;
  urls: SimulatorUrls;
}

/** The first word of the line the simulators process prints on stdout when it has no IPC channel. */
export const SIMULATORS_READY_LINE = 'SIMULATORS_READY';

/** Whether `message` is the simulators' ready message. */
export function isSimulatorsReady(message: unknown): message is SimulatorsReadyMessage {
  return (message as SimulatorsReadyMessage | undefined)?.type === 'sagaline.simulators.ready';
}

/** How the simulators process ended. */
export interface SimulatorsExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The simulators process could not be started; the message carries the end of its output. */
export class SimulatorsStartError extends Error {
  readonly code = 'SIMULATORS_START_FAILED';
  constructor(
    reason: string,
    readonly output: string,
  ) {
    super(`The simulators process ${reason}.${output ? ` Its output:\n${output}` : ''}`);
    this.name = 'SimulatorsStartError';
  }
}

/** Options of {@link startSimulatorsProcess}. */
export interface SimulatorsProcessOptions {
  /** Directory of the ledgers (default `SIMULATORS_DATA_DIR`, else the example's `.data/simulators`). */
  dataDir?: string;
  /** First of the five ports (default `SIMULATORS_PORT`, else 4100); 0 picks free ports. */
  port?: number;
  /** `inherit`: the process writes to this one's stdout and stderr; `capture` (default): kept for `output()`. */
  output?: 'inherit' | 'capture';
  /** How long to wait for the ready message (default 60 s: a cold start compiles the TypeScript). */
  readyTimeoutMs?: number;
}

/** The simulators running as their own OS process. */
export interface SimulatorsProcess {
  readonly pid: number;
  readonly urls: SimulatorUrls;
  readonly dataDir: string;
  /** Settles when the process has exited, however it ended. */
  readonly exited: Promise<SimulatorsExit>;
  /** What the process wrote so far (the last 64 KiB), when started with `output: 'capture'`. */
  output(): string;
  /** Sends `signal` (default `SIGKILL`: a crash, nothing cleaned up) and resolves once the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<SimulatorsExit>;
  /** Stops it cleanly (`SIGTERM`: servers and ledgers closed) and resolves once it is gone. */
  close(): Promise<SimulatorsExit>;
}

const EXAMPLE_DIR = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = fileURLToPath(new URL('./main.ts', import.meta.url));
const OUTPUT_KEPT = 64 * 1024;
const CLOSE_GRACE_MS = 15_000;

/**
 * Starts the payment gateway, the carrier, the SMTP sink and the alert sink in a process of their
 * own (`src/simulators/main.ts`, as `pnpm simulators` does), and resolves with their URLs once it
 * reports ready over IPC. The process stops when this one goes away (its IPC channel closes), so
 * none is left behind holding the ports; a `kill -9` of it loses nothing its ledgers answered.
 *
 * @example
 * const simulators = await startSimulatorsProcess({ dataDir, port: 0 });
 * const shop = spawn('node', [...], { env: { ...process.env, ...shopEnvironmentFor(simulators.urls) } });
 * await simulators.kill(); // SIGKILL, then start again on the same dataDir: nothing is forgotten
 */
export async function startSimulatorsProcess(
  options: SimulatorsProcessOptions = {},
): Promise<SimulatorsProcess> {
  const defaults = loadSimulatorsConfig();
  const dataDir = options.dataDir ?? defaults.dataDir;
  const port = options.port ?? defaults.port;
  const capture = (options.output ?? 'capture') === 'capture';
  const child = spawn(process.execPath, ['--import', '@swc-node/register/esm-register', ENTRY], {
    cwd: EXAMPLE_DIR,
    env: { ...process.env, SIMULATORS_DATA_DIR: dataDir, SIMULATORS_PORT: String(port) },
    stdio: ['ignore', capture ? 'pipe' : 'inherit', capture ? 'pipe' : 'inherit', 'ipc'],
    // its own process group: Ctrl+C in a terminal reaches the shop, which stops the simulators after itself
    detached: process.platform !== 'win32',
  });

  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEPT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const exited = new Promise<SimulatorsExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });

  const ready = await new Promise<SimulatorsReadyMessage>((resolve, reject) => {
    const fail = (reason: string) => {
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      reject(new SimulatorsStartError(reason, output));
    };
    const timer = setTimeout(
      () => fail(`did not report ready within ${options.readyTimeoutMs ?? 60_000} ms`),
      options.readyTimeoutMs ?? 60_000,
    );
    child.once('error', (error) => fail(`could not be spawned (${error.message})`));
    child.on('message', (message) => {
      if (!isSimulatorsReady(message)) return;
      clearTimeout(timer);
      resolve(message);
    });
    void exited.then(({ code, signal }) => fail(`exited (${signal ?? `code ${code}`}) before it was ready`));
  });

  const kill = (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return {
    pid: ready.pid,
    urls: ready.urls,
    dataDir: ready.dataDir,
    exited,
    output: () => output,
    kill,
    async close() {
      const stuck = setTimeout(() => child.kill('SIGKILL'), CLOSE_GRACE_MS);
      try {
        return await kill('SIGTERM');
      } finally {
        clearTimeout(stuck);
      }
    },
  };
}
