import { describe, expect, it } from 'vitest';
import { connectPostgres } from '../../src/database/database';
import { DatabaseConnectionError } from '../../src/database/database.errors';
import { freePort as deadPort } from '../crash/shop-process';
import { startTestShop } from '../support/test-shop';

describe('a DATABASE_URL that points at nothing', () => {
  it('fails the connection with DatabaseConnectionError naming the database, host:port and DATABASE_URL', async () => {
    const port = await deadPort();
    const failure = await connectPostgres(`postgres://postgres@127.0.0.1:${port}/test`, 'shop_dead').catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(DatabaseConnectionError);
    expect(failure).toMatchObject({
      code: 'DATABASE_UNREACHABLE',
      address: `127.0.0.1:${port}`,
      setting: 'DATABASE_URL',
    });
    expect((failure as Error).message).toContain(`The shop's database (PostgreSQL at 127.0.0.1:${port})`);
    expect((failure as Error).message).toContain('Check DATABASE_URL');
  });

  it('stops the shop at start-up with that error, not a bare ECONNREFUSED', async () => {
    const port = await deadPort();
    const failure = await startTestShop('pglite', {
      DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/test`,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DatabaseConnectionError);
    expect((failure as DatabaseConnectionError).address).toBe(`127.0.0.1:${port}`);
  });
});
