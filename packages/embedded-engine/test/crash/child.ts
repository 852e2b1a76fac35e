import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ReadyInfo } from './crash-protocol';

const packageDir = fileURLToPath(new URL('../../', import.meta.url));

/** A running crash-app process. */
export interface CrashChild {
  readonly pid: number;
  readonly ready: ReadyInfo;
  /** Settles when the process has exited, however it ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Whether it exited while nobody was stopping it. */
  readonly diedOnItsOwn: () => boolean;
  /** The last lines it wrote (stdout and stderr), for failure messages. */
  readonly output: () => string;
  /**
   * Sends a signal and resolves once the process is gone: `true` if it went within `graceMs`,
   * `false` if it had to be killed after that.
   */
  stop(signal: NodeJS.Signals, graceMs?: number): Promise<boolean>;
}

/** Children not yet known to have exited, so a failing test still reaps them. */
export const liveChildren = new Set<ChildProcess>();

/**
 * Starts test/crash/crash-app.ts with `env` and resolves once it printed READY; rejects (after
 * killing it) if it exits first or is not ready within `timeoutMs`.
 */
export function startCrashApp(env: Record<string, string>, timeoutMs: number): Promise<CrashChild> {
  const child = spawn(
    process.execPath,
    ['--import', './test/crash/register.mjs', 'test/crash/crash-app.ts'],
    {
      cwd: packageDir,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  liveChildren.add(child);
  const tail: string[] = [];
  const remember = (line: string) => {
    tail.push(line);
    if (tail.length > 60) tail.shift();
  };
  let stopping = false;
  let diedAlone = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      liveChildren.delete(child);
      diedAlone = !stopping;
      resolve({ code, signal });
    });
  });
  createInterface({ input: child.stderr! }).on('line', (line) => remember(`stderr: ${line}`));

  return new Promise<CrashChild>((resolve, reject) => {
    let settled = false;
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`crash-app (pid ${child.pid}) ${reason}. Its last output:\n${tail.join('\n')}`));
    };
    const timer = setTimeout(() => fail(`was not ready within ${timeoutMs} ms`), timeoutMs);
    void exited.then(({ code, signal }) => fail(`exited before READY (code ${code}, signal ${signal})`));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('READY ') || settled) return remember(`stdout: ${line}`);
      settled = true;
      clearTimeout(timer);
      resolve({
        pid: child.pid!,
        ready: JSON.parse(line.slice('READY '.length)) as ReadyInfo,
        exited,
        diedOnItsOwn: () => diedAlone,
        output: () => tail.join('\n'),
        async stop(signal, graceMs = 15_000) {
          stopping = true;
          child.kill(signal);
          let timer: NodeJS.Timeout | undefined;
          const inTime = await Promise.race([
            exited.then(() => true),
            new Promise<false>((late) => {
              timer = setTimeout(() => late(false), graceMs);
            }),
          ]);
          clearTimeout(timer);
          if (!inTime) child.kill('SIGKILL');
          await exited;
          return inTime;
        },
      });
    });
  });
}
