import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));

/**
 * Workspace packages resolve to their TypeScript sources in tests, so a change in one package is
 * seen by the tests of another without a rebuild.
 */
const workspaceAliases = Object.fromEntries(
  readdirSync(packagesDir).map((name) => [`@sagaline/${name}`, `${packagesDir}${name}/src/index.ts`]),
);

/**
 * The vitest config every package uses: SWC compiles the sources so that Nest's decorator metadata
 * (`design:paramtypes`) exists, exactly as in the tsup build.
 */
export function packageTestConfig(overrides: ViteUserConfig['test'] = {}): ViteUserConfig {
  return defineConfig({
    plugins: [
      swc.vite({
        jsc: {
          target: 'es2022',
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
        },
      }),
    ],
    resolve: { alias: workspaceAliases },
    test: {
      include: ['test/**/*.test.ts'],
      // Deadlines, not expectations: generous, so that a busy machine (CI beside other work, PGlite's
      // WASM start-up on a loaded core) slows the suite down without failing it.
      testTimeout: 60_000,
      hookTimeout: 120_000,
      // CI adds a JSON report per package, which scripts/test-summary.mjs adds up.
      reporters: process.env.CI ? ['default', 'json'] : ['default'],
      outputFile: process.env.CI ? { json: 'test-results.json' } : undefined,
      ...overrides,
    },
  });
}
