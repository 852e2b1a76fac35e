#!/usr/bin/env bash
# Runs the binding's test suite against NestJS 11 (CommonJS), in a scratch project installed with
# npm, so that the workspace's NestJS 12 cannot leak in.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pkg="$root/packages/nestjs-inngest"
cp -r "$pkg/src" "$pkg/test" "$work/"
version() { node -p "require('$pkg/package.json').devDependencies['$1'] ?? require('$pkg/package.json').dependencies['$1']"; }
rootversion() { node -p "require('$root/package.json').devDependencies['$1']"; }
cat > "$work/package.json" <<JSON
{
  "name": "nest11-compat",
  "private": true,
  "type": "module",
  "dependencies": {
    "@nestjs/common": "^11.1.0",
    "@nestjs/core": "^11.1.0",
    "@nestjs/testing": "^11.1.0",
    "@nestjs/platform-express": "^11.1.0",
    "@nestjs/platform-fastify": "^11.1.0",
    "@nestjs/terminus": "^11.0.0",
    "inngest": "$(version inngest)",
    "reflect-metadata": "$(version reflect-metadata)",
    "rxjs": "$(version rxjs)",
    "raw-body": "$(version raw-body)",
    "bytes": "$(version bytes)",
    "canonicalize": "$(version canonicalize)",
    "zod": "$(version zod)",
    "@standard-schema/spec": "$(version @standard-schema/spec)",
    "@sagaline/embedded-engine": "file:$root/packages/embedded-engine",
    "vitest": "$(rootversion vitest)",
    "unplugin-swc": "$(rootversion unplugin-swc)",
    "@swc/core": "$(rootversion @swc/core)"
  }
}
JSON
cat > "$work/vitest.config.ts" <<'TS'
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';
export default defineConfig({
  plugins: [swc.vite({ jsc: { target: 'es2022', parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false } } })],
  test: { include: ['test/**/*.test.ts'], testTimeout: 20000 },
});
TS
cd "$work"
npm install --no-audit --no-fund --loglevel=error >/dev/null
echo "NestJS $(node -p "require('@nestjs/core/package.json').version") (CommonJS): running the binding's tests"
npx vitest run
