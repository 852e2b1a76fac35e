// Module hooks for the crash test's child process (registered by register.mjs). They do what
// vitest.shared.ts does for the in-process tests: `@sagaline/*` resolve to the packages' TypeScript
// sources, compiled by SWC with the same decorator options, so the child runs the code under test
// with no build. The binding's dynamic import of `@sagaline/embedded-engine` lands on the same
// `src/index.ts` module as the app's own import: one engine copy.
// Hand-written instead of @swc-node/register because that one loads TypeScript and resolves every
// module of node_modules itself: a child was ready in about 4.6 s with it and 2.7 s with these,
// over some 26 starts per run.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { transformSync } from '@swc/core';

const packagesDir = new URL('../../../', import.meta.url);
const workspace = {
  '@sagaline/embedded-engine': new URL('embedded-engine/src/index.ts', packagesDir).href,
  '@sagaline/nestjs-inngest': new URL('nestjs-inngest/src/index.ts', packagesDir).href,
};

export async function resolve(specifier, context, nextResolve) {
  const source = workspace[specifier];
  if (source) return { url: source, format: 'module', shortCircuit: true };
  // The sources import each other without extensions (`./engine`, `../../src`).
  if (context.parentURL?.endsWith('.ts') && /^\.\.?\//.test(specifier)) {
    for (const candidate of [specifier, `${specifier}.ts`, `${specifier}/index.ts`]) {
      const url = new URL(candidate, context.parentURL);
      if (url.pathname.endsWith('.ts') && existsSync(url)) {
        return { url: url.href, format: 'module', shortCircuit: true };
      }
    }
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const filename = fileURLToPath(url);
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    },
    module: { type: 'es6' },
  });
  return { format: 'module', source: code, shortCircuit: true };
}
