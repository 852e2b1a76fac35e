#!/usr/bin/env bash
# Packs every public package with `pnpm pack` (so `workspace:` ranges become real ones), installs
# the tarballs with npm into two apps created outside the repo, as a user following the docs would
# (NestJS 11 as CommonJS and NestJS 12 as ESM, TypeScript compiled with tsc), and runs the app in
# scripts/smoke-packed/src in each: a saga whose second step fails so the first is compensated, a
# breaker called until it opens, and the transfer's history read back from the event store (PGlite).
# Fails on any mismatch, and when a process does not exit after `app.close()`.
#
# Installs share npm's cache and prefer it (`--prefer-offline`): only the npm registry is needed.
# SMOKE_KEEP=1 keeps the scratch folder for a look afterwards.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
app_src="$root/scripts/smoke-packed"
# tmpfs when there is one: on a disk mounted with `discard` (as CI's is), deleting the apps'
# 100,000 files took 40 s, installing them 20 s more than in memory.
scratch=${SMOKE_TMPDIR:-$([ -w /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")}
work=$(mktemp -d "$scratch/sagaline-smoke.XXXXXX")
[ "${SMOKE_KEEP:-}" = 1 ] && echo "scratch folder: $work" || trap 'rm -rf "$work"' EXIT
pnpm_version=$(node -p "require('$root/package.json').packageManager.split('@')[1]")
packages=(nestjs-inngest embedded-engine saga circuit-breaker event-store dashboard)
# A run that hangs after its checks is a bug: the app's own exit timer reports it after 30 s,
# this bound catches a hang before that (or in start-up).
app_timeout=${SMOKE_APP_TIMEOUT:-300}
SECONDS=0
elapsed() { printf '[%3d s] ' "$SECONDS"; }

mkdir -p "$work/tarballs"
for pkg in "${packages[@]}"; do
  [ -f "$root/packages/$pkg/dist/index.js" ] || { echo "packages/$pkg is not built: run pnpm build first" >&2; exit 1; }
  (cd "$root/packages/$pkg" && npx -y "pnpm@$pnpm_version" pack --pack-destination "$work/tarballs" >/dev/null)
done
tarballs=("$work"/tarballs/*.tgz)
[ "${#tarballs[@]}" = "${#packages[@]}" ] || { echo "expected ${#packages[@]} tarballs, got: ${tarballs[*]}" >&2; exit 1; }
# No `workspace:` range may survive packing (npm ls below checks that the others resolve).
for tarball in "${tarballs[@]}"; do
  if tar -xOzf "$tarball" package/package.json | grep -n '"workspace:' >&2; then
    echo "$(basename "$tarball"): the packed package.json still has workspace: ranges" >&2
    exit 1
  fi
done
elapsed; echo "packed: $(cd "$work/tarballs" && echo *.tgz)"

version() { node -p "require('./node_modules/$1/package.json').version"; }

install_app() { # $1: Nest major, $2: commonjs|module
  local major=$1 type=$2
  local dir="$work/nest$major-$type"
  mkdir -p "$dir" && cd "$dir"
  printf '{ "name": "smoke-nest%s-%s", "private": true, "type": "%s" }\n' "$major" "$type" "$type" > package.json
  # What docs/getting-started.md and the READMEs of saga, circuit-breaker and event-store (with
  # PGlite) say to install; the Nest major pinned here, TypeScript to compile with tsc.
  npm install --prefer-offline --no-audit --no-fund --loglevel=warn "${tarballs[@]}" inngest \
    "@nestjs/common@^$major" "@nestjs/core@^$major" "@nestjs/platform-express@^$major" \
    reflect-metadata rxjs @electric-sql/pglite 2>&1 | { grep -vE 'EBADENGINE +(current|})|install-scripts' || true; }
  npm install --prefer-offline --no-audit --no-fund --loglevel=error -D typescript @types/node@^20 >/dev/null
  # Every dependency, peers included, resolves to a version that satisfies its range.
  npm ls --all >/dev/null || { npm ls --all | grep -E 'invalid|missing|UNMET' >&2; exit 1; }
  cp -r "$app_src/src" "$app_src/tsconfig.json" .
  npx tsc -p tsconfig.json
}

run_app() { # $1: Nest major, $2: commonjs|module, then one or more node binaries to run it with
  local major=$1 type=$2
  shift 2
  cd "$work/nest$major-$type"
  for node_bin in "$@"; do
    elapsed
    echo "NestJS $(version @nestjs/core) ($type), TypeScript $(version typescript), inngest $(version inngest)," \
      "on Node $("$node_bin" --version):"
    local status=0
    timeout --kill-after=10 "$app_timeout" "$node_bin" dist/main.js || status=$?
    [ "$status" = 124 ] && echo "the app did not exit within ${app_timeout} s" >&2
    [ "$status" = 0 ] || exit "$status"
  done
  elapsed; echo "NestJS $major ($type): passed"
}

# The two installs share npm's cache and run side by side; each one's output is shown after both.
install_both() {
  local pids=() failed=0
  install_app 11 commonjs > "$work/install-11.log" 2>&1 & pids+=($!)
  install_app 12 module > "$work/install-12.log" 2>&1 & pids+=($!)
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  for major in 11 12; do
    echo "--- NestJS $major app: npm install, tsc"
    cat "$work/install-$major.log"
  done
  [ "$failed" = 0 ] || { echo "installing or compiling an app failed (output above)" >&2; exit 1; }
  elapsed; echo "both apps installed and compiled"
}

# docs/getting-started.md: "NestJS 11 runs on Node 20.19; NestJS 12 asks for Node 22". npm warns
# about Node 20 for NestJS 12 (@nestjs/common depends on file-type@22, engines >=22), yet the app
# runs on it: so the NestJS 12 app runs on Node 22, as the docs ask, and on this machine's Node.
node22=$(npx -y -p node@22 node -p process.execPath)
install_both
run_app 11 commonjs node
run_app 12 module "$node22" node
