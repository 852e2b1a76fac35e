/**
 * `pnpm bench`: every package's bench, one after another, then the shop's load test on PGlite (in
 * memory, the example's default) and on PostgreSQL, then one table of their headline rows, each
 * beside its peer or floor, with its target and whether it is met. Each bench prints its own
 * full tables as it goes; the summary is what `docs/performance.md` reports.
 *
 * Settings (environment):
 * - BENCH_DATABASE_URL (else DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test): the
 *   PostgreSQL every bench and the shop's PostgreSQL run use;
 * - BENCH_PACKAGES: folder names under packages/, comma-separated (default: all of them);
 * - BENCH_SHOP: `pglite,postgres` (the default), one of them, or `none`; the PostgreSQL run needs
 *   `psql` on PATH, to drop the schemas it creates;
 * - the load test's own `LOAD_*` settings (here `LOAD_PHASES` defaults to `single`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SUMMARY_FILE_VARIABLE, type SummaryRow } from './bench-summary';

const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));

const databaseUrl =
  process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const shopBackends = (process.env.BENCH_SHOP ?? 'pglite,postgres')
  .split(',')
  .map((backend) => backend.trim())
  .filter((backend) => backend !== 'none');
/** The packages to bench, by folder name; all of them unless BENCH_PACKAGES names some. */
const benchedPackages = process.env.BENCH_PACKAGES?.split(',').map((name) => name.trim());
const unknownBackend = shopBackends.find((backend) => backend !== 'pglite' && backend !== 'postgres');
if (unknownBackend !== undefined) {
  console.error(
    `BENCH_SHOP: unknown database "${unknownBackend}"; use pglite, postgres, both (comma-separated) or none.`,
  );
  process.exit(1);
}
/** The folders under packages/ whose package has a bench script. */
const packagesWithBench = readdirSync(join(repositoryRoot, 'packages')).filter((name) => {
  try {
    const manifest = JSON.parse(readFileSync(join(repositoryRoot, 'packages', name, 'package.json'), 'utf8'));
    return typeof manifest.scripts?.bench === 'string';
  } catch {
    return false;
  }
});
// an unknown name would be a --filter that matches nothing, and pnpm would quietly bench less
const unknownPackage = benchedPackages?.find((name) => !packagesWithBench.includes(name));
if (unknownPackage !== undefined) {
  console.error(
    `BENCH_PACKAGES: unknown package "${unknownPackage}"; use folder names under packages/, comma-separated: ${packagesWithBench.join(', ')}.`,
  );
  process.exit(1);
}
// checked now rather than after the other benches: without psql the shop's schemas would be left behind
if (shopBackends.includes('postgres') && spawnSync('psql', ['--version'], { stdio: 'ignore' }).error) {
  console.error(
    'BENCH_SHOP: the PostgreSQL run needs psql on PATH (to drop its schemas afterwards); install it, or set BENCH_SHOP=pglite.',
  );
  process.exit(1);
}
/** The order the summary's rows are printed in: the performance guide's. */
const SOURCES = [
  'circuit-breaker',
  'event-store',
  'embedded-engine',
  'saga',
  'shop',
  'nestjs-inngest',
  'dashboard',
];

const summaryDir = mkdtempSync(join(tmpdir(), 'sagaline-bench-'));
const summaryFile = join(summaryDir, 'summary.jsonl');

/** The signal that ended a child (Ctrl-C), after which nothing more runs but the cleanup. */
let interruptedBy: NodeJS.Signals | undefined;
// Ctrl-C reaches this process too (same process group); without a listener it would die at once and
// leave the temporary folder and the shop's schemas behind. The children's end is what is acted on.
process.on('SIGINT', () => {});

/**
 * Runs pnpm (the one running this script) with `args` at the repository's root; false when it
 * fails. `env` overrides this process's environment; an undefined value removes the variable.
 */
function pnpm(args: string[], env: Record<string, string | undefined> = {}): boolean {
  const pnpmPath = process.env.npm_execpath;
  const [command, prefix] =
    pnpmPath?.endsWith('.js') || pnpmPath?.endsWith('.cjs')
      ? [process.execPath, [pnpmPath]]
      : [pnpmPath ?? 'pnpm', []];
  const childEnv: NodeJS.ProcessEnv = { ...process.env, [SUMMARY_FILE_VARIABLE]: summaryFile };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[name];
    else childEnv[name] = value;
  }
  const { status, signal } = spawnSync(command, [...prefix, ...args], {
    stdio: 'inherit',
    cwd: repositoryRoot,
    env: childEnv,
  });
  // pnpm may also report its interrupted script as an exit code of 128 + SIGINT
  if (signal !== null) interruptedBy = signal;
  else if (status === 128 + constants.signals.SIGINT) interruptedBy = 'SIGINT';
  return status === 0;
}

function dropShopSchemas(schema: string): void {
  const names = [schema, `${schema}_engine`, `${schema}_events`].join(', ');
  const { status } = spawnSync('psql', [databaseUrl, '-qc', `DROP SCHEMA IF EXISTS ${names} CASCADE`], {
    stdio: 'inherit',
  });
  if (status !== 0) console.error(`Could not drop the shop's schemas (${names}); drop them by hand.`);
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return ''; // no bench recorded a row
  }
}

function printSummary(rows: SummaryRow[]): void {
  const ordered = [...rows].sort((a, b) => SOURCES.indexOf(a.source) - SOURCES.indexOf(b.source));
  const met = (row: SummaryRow) => (row.met === undefined ? '' : row.met ? 'yes' : 'NO');
  console.log(`\nSummary (Node ${process.version}; each row measured beside its peer or floor in one run)\n`);
  console.log('| bench | path | Sagaline | peer or floor | ratio | target | met |');
  console.log('| --- | --- | ---: | ---: | ---: | --- | --- |');
  for (const row of ordered) {
    console.log(
      `| ${row.source} | ${row.path} | ${row.sagaline} | ${row.peer} | ${row.ratio} | ${row.target} | ${met(row)} |`,
    );
  }
  const targets = ordered.filter((row) => row.met !== undefined);
  console.log(`\n${targets.filter((row) => row.met).length} of ${targets.length} targets met.`);
  const expected = SOURCES.filter((source) =>
    source === 'shop' ? shopBackends.length > 0 : (benchedPackages?.includes(source) ?? true),
  );
  const silent = expected.filter((source) => !rows.some((row) => row.source === source));
  if (silent.length > 0) {
    console.log(`No rows from: ${silent.join(', ')} (failed or skipped: their output above says why).`);
  }
}

const failed: string[] = [];
try {
  // every bench reads the same PostgreSQL; one that fails does not keep the others from running
  const packagesEnv = { DATABASE_URL: databaseUrl, BENCH_DATABASE_URL: databaseUrl };
  const filters = (benchedPackages ?? ['*']).flatMap((name) => ['--filter', `./packages/${name}`]);
  const packages = [...filters, '--workspace-concurrency=1', '--no-bail', 'bench'];
  if (!pnpm(packages, packagesEnv)) failed.push('packages');
  for (const backend of shopBackends) {
    if (interruptedBy !== undefined) break;
    const schema = `bench_shop_${process.pid}`;
    // the PGlite run must not inherit a database from the caller's environment
    const database =
      backend === 'postgres'
        ? { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema, PGLITE_DIR: undefined }
        : { DATABASE_URL: undefined, DATABASE_SCHEMA: undefined, PGLITE_DIR: undefined };
    const env = { LOAD_PHASES: process.env.LOAD_PHASES ?? 'single', ...database };
    console.log(`\nThe shop's load test on ${backend === 'postgres' ? 'PostgreSQL' : 'PGlite in memory'}`);
    if (!pnpm(['--filter', '@sagaline/example-ecommerce', 'test:load'], env))
      failed.push(`shop (${backend})`);
    if (backend === 'postgres') dropShopSchemas(schema);
  }
  if (interruptedBy !== undefined) {
    console.error(`\nInterrupted (${interruptedBy}): the remaining benches did not run.`);
    process.exitCode = 128 + constants.signals[interruptedBy];
  } else {
    const rows = readFileSafe(summaryFile)
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as SummaryRow);
    printSummary(rows);
  }
} finally {
  rmSync(summaryDir, { recursive: true, force: true });
}
if (failed.length > 0 && interruptedBy === undefined) {
  console.error(`\nThese benches failed: ${failed.join(', ')} (their output above says why).`);
  process.exitCode = 1;
}
