import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CircuitBreakerConfigError,
  CircuitBreakerModule,
  CircuitBreakerService,
  RedisCircuitStore,
} from '../src';

const packageDir = fileURLToPath(new URL('../', import.meta.url));
const REDIS_URL = 'redis://127.0.0.1:6379';
/** Only a bound on a failure (a process that never exits); the test waits for the exit itself. */
const HANG_BOUND_MS = 60_000;

describe('the Redis connection a module opens (store: { redis: { url } })', () => {
  const keyPrefix = `test-circuit-lifecycle-${randomUUID()}`;
  const admin = new Redis(REDIS_URL);

  afterAll(async () => {
    const keys = await admin.keys(`${keyPrefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  it('is closed by app.close(): the README example, run as its own process, exits by itself', async () => {
    const child = spawn(
      process.execPath,
      ['--import', '@swc-node/register/esm-register', 'test/support/redis-app-exits.ts'],
      {
        cwd: packageDir,
        env: { ...process.env, REDIS_URL, CIRCUIT_KEY_PREFIX: keyPrefix },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const bound = setTimeout(() => child.kill('SIGKILL'), HANG_BOUND_MS);
    const { code, signal } = await new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on('exit', (exitCode, exitSignal) => resolve({ code: exitCode, signal: exitSignal })),
    );
    clearTimeout(bound);

    // killed by the bound: something kept the process alive after app.close()
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(JSON.parse(stdout)).toEqual({ charged: 'charged 4242', closed: true });
    // the module's connection did reach Redis
    expect(await admin.hget(`${keyPrefix}:payment-gateway`, 'state')).toBe('forced_open');
  });

  it('is not needed for a client the app passes in: that one stays open, the app closes it', async () => {
    const redis = new Redis(REDIS_URL, { enableOfflineQueue: false });
    await new Promise((resolve) => redis.once('ready', resolve));
    @Module({
      imports: [
        CircuitBreakerModule.forRoot({
          store: { store: new RedisCircuitStore({ redis, keyPrefix }), mode: 'hybrid' },
          registry: new Registry(),
        }),
      ],
    })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    await app.get(CircuitBreakerService).execute('own-client', () => 'ok');
    await app.close();

    expect(redis.status).toBe('ready');
    expect(await redis.ping()).toBe('PONG');
    await redis.quit();
  });

  it('refuses `store: { redis }` in a CircuitBreakerService made by hand, which could not close it', () => {
    const made = () =>
      new CircuitBreakerService({ store: { redis: { url: REDIS_URL } }, registry: new Registry() });
    expect(made).toThrow(CircuitBreakerConfigError);
    expect(made).toThrow(/needs `store: \{ store: new RedisCircuitStore\(\{ redis \}\) \}`/);
  });
});
