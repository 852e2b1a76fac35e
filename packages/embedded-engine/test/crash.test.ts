// The crash test of issue 11: an app on a durable store is killed with SIGKILL at seeded random
// points while events flow, restarted each time, and at the end every accepted event must have its
// runs, every step its side effect, and no stored step may have run again.
//
// CRASH_SEED=<n> replays a seed's kill plan and traffic shape (the interleaving with the app's own
// work still varies); CRASH_KILLS=<n> sets the kills per store (default 12, 24 over the file).
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, describe, it } from 'vitest';
import { type CrashStats, checkCrashOutcome, countByRule, settled } from './crash/checks';
import { type CrashChild, liveChildren, startCrashApp } from './crash/child';
import type { CrashRun, SideEffect } from './crash/crash-protocol';
import { OrderEvents } from './crash/order-events';
import { seededRandom } from './crash/random';

const seed = process.env.CRASH_SEED ? Number(process.env.CRASH_SEED) : randomInt(2 ** 31);
const KILLS_PER_STORE = Number(process.env.CRASH_KILLS ?? 12);
if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(KILLS_PER_STORE) || KILLS_PER_STORE < 1)
  throw new Error('CRASH_SEED must be an integer and CRASH_KILLS a positive integer.');
const verbose = process.env.CRASH_VERBOSE === '1';
console.log(`[crash test] seed ${seed} (replay with CRASH_SEED=${seed}), ${KILLS_PER_STORE} kills per store`);

const connectionString = 'postgres://postgres@127.0.0.1:5432/test';
const EVENT_KEY = 'crash-test-event-key';
/** A kill lands this long after the app said READY: from right away to well into its work. */
const KILL_AFTER_MS = { min: 50, max: 1_500 };
/**
 * Generous: a successor engine may wait for the killed one's store lease, and the first PGlite
 * start (initdb) took 20 s beside two busy loops.
 */
const READY_TIMEOUT_MS = 60_000;
/** How long the last life of the app gets to finish every pending run. */
const SETTLE_TIMEOUT_MS = 120_000;
const TEST_TIMEOUT_MS = 360_000;

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const child of liveChildren) child.kill('SIGKILL');
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('an app killed with SIGKILL at random points', () => {
  // Side by side: PGlite's lives are slow to start, PostgreSQL's fit in between.
  it.concurrent.for(['postgres', 'pglite'] as const)(
    'on the %s store, loses no accepted event and runs no stored step again',
    { timeout: TEST_TIMEOUT_MS },
    async (store, { expect }) => {
      const storeIndex = store === 'postgres' ? 1 : 2;
      const killPlan = seededRandom(seed * 4 + storeIndex);
      const traffic = seededRandom(seed * 4 + storeIndex + 2);
      const dir = mkdtempSync(join(tmpdir(), `sagaline-crash-${store}-`));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const env: Record<string, string> = {
        CRASH_STORE: store,
        CRASH_EVENT_KEY: EVENT_KEY,
        CRASH_LOG: join(dir, 'side-effects.jsonl'),
        // One port for every life of the app, as a restarted service has.
        CRASH_APP_PORT: String(await freePort()),
        ...(await storeEnv(store, dir)),
      };
      const events = new OrderEvents(`${store}-order`, EVENT_KEY, traffic);
      const diedAlone: string[] = [];
      const started = Date.now();

      for (let kill = 0; kill < KILLS_PER_STORE; kill++) {
        const booting = Date.now();
        const child = await startCrashApp(env, READY_TIMEOUT_MS);
        const bootMs = Date.now() - booting;
        const acceptedBefore = events.accepted.size;
        let stopped = false;
        const sending = events.sendUntil(child.ready.engineUrl, () => stopped);
        sending.catch(() => undefined); // awaited below; this only keeps an early refusal handled
        // The one intended delay of the test: where the kill lands is the point of it.
        const killAfterMs = killPlan.int(KILL_AFTER_MS.min, KILL_AFTER_MS.max);
        await Promise.race([delay(killAfterMs), child.exited]);
        if (child.diedOnItsOwn()) diedAlone.push(`life ${kill + 1}:\n${child.output()}`);
        await child.stop('SIGKILL');
        stopped = true;
        await sending;
        if (verbose)
          console.log(
            `[crash test] ${store} life ${kill + 1}: ready in ${bootMs} ms, killed ${killAfterMs} ms later, ` +
              `${events.accepted.size - acceptedBefore} orders accepted`,
          );
      }

      const lastBoot = Date.now();
      const child = await startCrashApp(env, READY_TIMEOUT_MS);
      const settling = Date.now();
      let runs: CrashRun[];
      let stuck: string | undefined;
      let stoppedInTime = false;
      try {
        await events.flush(child.ready.engineUrl);
        ({ runs, stuck } = await waitUntilSettled(child, SETTLE_TIMEOUT_MS));
      } finally {
        stoppedInTime = await child.stop('SIGTERM');
      }
      if (verbose)
        console.log(
          `[crash test] ${store} last life: ready in ${settling - lastBoot} ms, settled ${Date.now() - settling} ms later`,
        );
      if (child.diedOnItsOwn()) diedAlone.push(`last life:\n${child.output()}`);

      const { violations, stats } = checkCrashOutcome(events.accepted, runs, readSideEffects(env.CRASH_LOG!));
      if (stuck) violations.unshift({ rule: 'runs still running', detail: stuck });
      if (!stoppedInTime)
        violations.unshift({
          rule: 'slow shutdown',
          detail: `the app outlived SIGTERM by 15 s:\n${child.output()}`,
        });
      for (const output of diedAlone)
        violations.unshift({ rule: 'app died on its own', detail: `in its ${output}` });
      console.log(`[crash test] ${store}: ${summary(events, stats, Date.now() - started)}`);
      expect(events.accepted.size, 'no order was accepted: the test exercised nothing').toBeGreaterThan(0);
      const lines = violations.map(({ rule, detail }) => `${rule}: ${detail}`);
      if (verbose && lines.length > 0) console.log(`[crash test] ${store} violations:\n${lines.join('\n')}`);
      expect(
        violations.length,
        `seed ${seed}, ${store} store: ${violations.length} violations (${countByRule(violations)}), ` +
          `the first ones:\n${lines.slice(0, 40).join('\n')}`,
      ).toBe(0);
    },
  );
});

async function storeEnv(store: 'postgres' | 'pglite', dir: string): Promise<Record<string, string>> {
  if (store === 'pglite') return { CRASH_PGLITE_DIR: join(dir, 'pglite') };
  const schema = `crash_${randomBytes(4).toString('hex')}`;
  cleanups.push(async () => {
    const admin = new pg.Client({ connectionString });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });
  return { CRASH_PG_URL: connectionString, CRASH_PG_SCHEMA: schema };
}

/**
 * Polls the app's runs until none is running (nothing is left to happen: the driver has stopped
 * sending, and an accepted event's runs are stored before its 200), or the deadline passes.
 */
async function waitUntilSettled(
  child: CrashChild,
  timeoutMs: number,
): Promise<{ runs: CrashRun[]; stuck?: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${child.ready.appUrl}/crash/runs`).catch((error: Error) => {
      throw new Error(`GET /crash/runs failed (${error.message}); the app's last output:\n${child.output()}`);
    });
    if (!response.ok)
      throw new Error(`GET /crash/runs answered ${response.status}: ${await response.text()}`);
    const runs = (await response.json()) as CrashRun[];
    if (settled(runs)) return { runs };
    if (Date.now() > deadline) {
      const running = runs.filter((run) => run.status === 'running');
      const sample = running
        .slice(0, 10)
        .map((run) => `${run.id} ${run.functionId} (${run.event.data.orderId}) waiting on ${run.pending}`);
      return {
        runs,
        stuck: `${running.length} runs still running ${timeoutMs} ms after the last restart: ${sample.join('; ')}`,
      };
    }
    await delay(200);
  }
}

function readSideEffects(path: string): SideEffect[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line, index) => {
      try {
        return JSON.parse(line) as SideEffect;
      } catch {
        throw new Error(`Side-effect log line ${index + 1} is torn: ${line}`);
      }
    });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function summary(events: OrderEvents, stats: CrashStats, elapsedMs: number): string {
  return (
    `${KILLS_PER_STORE} kills in ${(elapsedMs / 1000).toFixed(0)} s; ${events.accepted.size} of ` +
    `${events.sent} orders accepted (${events.posts.failed} requests died with the app and were sent ` +
    `again); ${stats.runs} runs, ${stats.sideEffects} side effects, ${stats.stepsRunAgain} steps ran ` +
    'again after a crash'
  );
}
