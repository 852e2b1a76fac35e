import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const project = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const run = promisify(execFile);

/** Resolves with the process's output once a line matches, rejects if it exits first. */
function waitForLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (pattern.test(output)) resolve(output);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`exited with ${code} before ${pattern}:\n${output}`)));
  });
}

// docs/getting-started.md and docs/decorators.md say: build with `npx tsc`, run `node dist/main.js`.
describe.each([
  { config: 'tsconfig.json', nest: 'NestJS 12 ESM', packageType: 'module' },
  { config: 'tsconfig.cjs.json', nest: 'NestJS 11 CommonJS', packageType: 'commonjs' },
])('the getting started app built with $config ($nest)', ({ config, packageType }) => {
  let outDir: string | undefined;
  let child: ChildProcess | undefined;
  afterEach(async () => {
    child?.kill();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('starts with node and sends its event', async () => {
    // Inside the package, so that the built files resolve its dependencies as an app's would.
    outDir = await mkdtemp(path.join(project, '.build-'));
    await run(process.execPath, [tsc, '-p', path.join(project, config), '--outDir', outDir]);
    await writeFile(path.join(outDir, 'package.json'), JSON.stringify({ type: packageType }));

    child = spawn(process.execPath, [path.join(outDir, 'getting-started/main.js')], {
      env: { ...process.env, PORT: '0' },
    });
    const output = await waitForLine(child, /order\/created sent as \w+/);

    expect(output).toContain('App "shop" synced with 1 functions');
  });
});
