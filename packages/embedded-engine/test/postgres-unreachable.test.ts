import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { EmbeddedEngine, EngineStoreConnectionError, PostgresRunStore } from '../src';

/** A loopback port nothing listens on: taken from the OS, then released. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the PostgreSQL run store, with its database unreachable at start-up', () => {
  it('fails with EngineStoreConnectionError naming the store, host:port and the option to check', async () => {
    const port = await deadPort();
    const store = await PostgresRunStore.create({
      connectionString: `postgres://postgres@127.0.0.1:${port}/test`,
    });
    const error = await EmbeddedEngine.start({ store }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(EngineStoreConnectionError);
    expect(error).toMatchObject({
      code: 'ENGINE_STORE_CONNECTION',
      store: 'embedded engine PostgreSQL run store',
      address: `127.0.0.1:${port}`,
      option: 'connectionString',
      cause: expect.objectContaining({ code: 'ECONNREFUSED' }),
    });
    expect((error as Error).message).toMatch(
      new RegExp(
        `^The embedded engine PostgreSQL run store could not connect to 127\\.0\\.0\\.1:${port} \\(connect ECONNREFUSED .*\\)\\. Check \`connectionString\` \\(e\\.g\\. DATABASE_URL\\)`,
      ),
    );
  });

  it('names `pool` when the app passed its own pool', async () => {
    const pg = await import('pg');
    const port = await deadPort();
    const pool = new pg.default.Pool({ host: '127.0.0.1', port, user: 'postgres', database: 'test' });
    try {
      const store = await PostgresRunStore.create({ pool });
      await expect(EmbeddedEngine.start({ store })).rejects.toMatchObject({
        code: 'ENGINE_STORE_CONNECTION',
        address: `127.0.0.1:${port}`,
        option: 'pool',
      });
    } finally {
      await pool.end();
    }
  });
});
