#!/usr/bin/env bash
# Runs the built dashboard (packed as npm would publish it, CommonJS) in NestJS 11 apps on Express
# and Fastify, in a scratch project installed with npm, so that the workspace's NestJS 12 cannot
# leak in. Needs `pnpm build` first.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pkg=$(cd "$here/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -f "$pkg/dist/index.cjs" ] || { echo "packages/dashboard is not built: run pnpm build first" >&2; exit 1; }
(cd "$pkg" && npm pack --silent --pack-destination "$work" >/dev/null)
cp "$here/nest11.test.cjs" "$work/"
cd "$work"
cat > package.json <<JSON
{ "name": "dashboard-nest11", "private": true }
JSON
npm install --no-audit --no-fund --loglevel=error \
  @nestjs/common@^11.1.0 @nestjs/core@^11.1.0 @nestjs/platform-express@^11.1.0 @nestjs/platform-fastify@^11.1.0 \
  reflect-metadata@^0.2.2 rxjs@^7.8.2 ./sagaline-dashboard-*.tgz >/dev/null
echo "NestJS $(node -p "require('@nestjs/core/package.json').version") (CommonJS): the packed dashboard on Express and Fastify"
node --test nest11.test.cjs
