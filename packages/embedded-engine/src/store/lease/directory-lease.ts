import { createHash } from 'node:crypto';
import { mkdir, open, readFile, realpath, unlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { LeaseOptions } from '../run-store';
import { retryUntilHeld, type StoreLease } from './store-lease';

/**
 * @internal A lock on a PGlite data directory, taken before PGlite opens it (two processes on one
 * directory would corrupt it). On Linux it is an abstract Unix socket named after the directory:
 * binding is atomic and the kernel frees the name the instant the process dies, so no stale lock
 * is ever left behind. Elsewhere it is a lock file holding the owner's pid, taken over when that
 * process no longer exists.
 */
export class DirectoryLease implements StoreLease {
  private server?: Server;
  private lockFile?: string;

  constructor(private readonly dataDir: string) {}

  async acquire({ waitMs }: LeaseOptions): Promise<void> {
    await mkdir(this.dataDir, { recursive: true });
    const dir = await realpath(this.dataDir);
    const describe = `the PGlite directory ${dir}`;
    if (process.platform === 'linux') {
      const name = `\0sagaline-engine:${createHash('sha256').update(dir).digest('hex')}`;
      const held = async () => {
        this.server = await bindAbstract(name);
        return this.server !== undefined;
      };
      await retryUntilHeld(held, waitMs, describe);
      return;
    }
    const file = join(dir, '.sagaline-engine.lock');
    await retryUntilHeld(() => takeLockFile(file), waitMs, describe);
    this.lockFile = file;
  }

  async release(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (this.lockFile) await unlink(this.lockFile).catch(() => undefined);
    this.lockFile = undefined;
  }
}

function bindAbstract(name: string): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' ? resolve(undefined) : reject(error),
    );
    server.listen({ path: name, exclusive: true }, () => {
      server.unref();
      resolve(server);
    });
  });
}

async function takeLockFile(file: string): Promise<boolean> {
  try {
    const handle = await open(file, 'wx');
    await handle.writeFile(String(process.pid));
    await handle.close();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const owner = Number(await readFile(file, 'utf8').catch(() => ''));
  if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) return false;
  await unlink(file).catch(() => undefined);
  return false; // taken on the next try, if no other process was quicker
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
