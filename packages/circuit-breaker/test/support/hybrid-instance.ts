// One app instance with a hybrid breaker on the real Redis, driven by the two-process test over
// IPC. Run as a child process: `node --import @swc-node/register/esm-register` (see
// hybrid-two-processes.test.ts). It either serves (successful calls, as the healthy instance) or trips
// (failing calls until its own window opens the breaker), and reports what it saw.
import { Redis } from 'ioredis';
import { resolveOptions } from '../../src/breaker.options';
import { CircuitBreaker, type CircuitStateChange } from '../../src/circuit-breaker';
import { RedisCircuitStore } from '../../src/stores/redis-circuit-store';
import { CountingStore } from './counting-store';

/** What the test sends. */
export type InstanceCommand =
  | { type: 'create'; name: string }
  | { type: 'serve' }
  | { type: 'trip' }
  | { type: 'report' };

/** What the instance answers. */
export type InstanceReport =
  | { type: 'created' }
  | { type: 'serving' }
  | { type: 'tripped'; trippedAt: number }
  | { type: 'settled' }
  | {
      type: 'report';
      changes: CircuitStateChange[];
      /** When this instance saw the breaker open (its clock, ms), 0 if it did not. */
      openSeenAt: number;
      /** Calls that ran after this instance had seen the breaker open: must be none. */
      admittedAfterOpen: number;
      /** Calls attempted after it had seen it open. */
      attemptsAfterOpen: number;
    };

const keyPrefix = process.env.CIRCUIT_KEY_PREFIX!;
const redis = new Redis({ host: '127.0.0.1', port: 6379 });
const store = new CountingStore(new RedisCircuitStore({ redis, keyPrefix }));
const options = resolveOptions('two-processes', {
  slidingWindowSize: 10,
  minimumNumberOfCalls: 5,
  waitDurationInOpenState: 60_000,
});

let breaker: CircuitBreaker | undefined;
let changes: CircuitStateChange[] = [];
let openSeenAt = 0;
let admittedAfterOpen = 0;
let attemptsAfterOpen = 0;
let running = false;

const send = (report: InstanceReport) => process.send!(report);
const turn = () => new Promise((resolve) => setImmediate(resolve));

async function create(name: string): Promise<void> {
  changes = [];
  openSeenAt = admittedAfterOpen = attemptsAfterOpen = 0;
  breaker = new CircuitBreaker(name, options, {
    now: Date.now,
    shared: { store, mode: 'hybrid' },
    onStateChange: (change) => {
      changes.push(change);
      if (change.to === 'open' && openSeenAt === 0) openSeenAt = Date.now();
    },
  });
  await breaker.ready();
  send({ type: 'created' });
}

/** Successful calls, one per turn of the event loop (as an app doing I/O would), until reported. */
async function serve(): Promise<void> {
  running = true;
  let calls = 0;
  while (running) {
    const sawOpen = openSeenAt !== 0;
    if (sawOpen) attemptsAfterOpen++;
    await breaker!
      .execute(() => {
        if (sawOpen) admittedAfterOpen++;
        return 'ok';
      })
      .catch(() => undefined);
    if (++calls === 20) send({ type: 'serving' });
    if (attemptsAfterOpen === 50) send({ type: 'settled' });
    await turn();
  }
}

/** Failing calls until this instance's own window trips; then calls on, until it has read the store three times. */
async function trip(): Promise<void> {
  running = true;
  while (breaker!.state !== 'open') {
    await breaker!.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
  }
  send({ type: 'tripped', trippedAt: openSeenAt });
  const readsAtTrip = store.calls.record;
  let settled = false;
  while (running) {
    await breaker!.execute(() => 'ok').catch(() => undefined);
    if (!settled && store.calls.record >= readsAtTrip + 3) {
      settled = true;
      send({ type: 'settled' });
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function report(): Promise<void> {
  running = false;
  await turn();
  await breaker!.close();
  send({ type: 'report', changes, openSeenAt, admittedAfterOpen, attemptsAfterOpen });
}

process.on('message', (command: InstanceCommand) => {
  const run =
    command.type === 'create'
      ? create(command.name)
      : command.type === 'serve'
        ? serve()
        : command.type === 'trip'
          ? trip()
          : report();
  run.catch((error) => {
    console.error(error);
    process.exit(1);
  });
});
process.on('disconnect', () => {
  redis.disconnect();
  process.exit(0);
});
