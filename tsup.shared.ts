import { defineConfig, type Options } from 'tsup';

/**
 * The build every public package uses: ESM and CJS with types for both. `@swc/core` must be
 * installed: without it tsup silently drops decorator metadata and Nest injection breaks.
 */
export function packageBuildConfig(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    // tsup's declaration build sets `baseUrl`, which TypeScript 6 deprecates.
    dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
    sourcemap: true,
    clean: true,
    target: 'es2022',
    treeshake: false,
    ...overrides,
  });
}
