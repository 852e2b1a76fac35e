import { readFileSync } from 'node:fs';

// Read beside this file when the sources run (vitest, swc-node); the build replaces this module
// with one that holds both texts (see tsup.config.ts), so the published package reads no files.

/** @internal The page's HTML template. */
export const PAGE_TEMPLATE = readFileSync(new URL('./index.html', import.meta.url), 'utf8');

/** @internal The page's browser script. */
export const PAGE_SCRIPT = readFileSync(new URL('./app.js', import.meta.url), 'utf8');
