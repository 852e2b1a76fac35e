#!/usr/bin/env bash
# Packs @sagaline/nestjs-inngest, installs the tarball into Nest apps created outside the repo
# (NestJS 12 as ESM, NestJS 11 as CommonJS), and drives a function through Call Requests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$root/packages/nestjs-inngest" && npm pack --silent --pack-destination "$work" >/dev/null)
tarball=$(ls "$work"/sagaline-nestjs-inngest-*.tgz)
inngest=$(node -p "require('$root/packages/nestjs-inngest/package.json').devDependencies.inngest")

app_source() { # $1: esm|cjs
  local load
  if [ "$1" = esm ]; then
    load="import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InngestFunction, InngestModule } from '@sagaline/nestjs-inngest';"
  else
    load="require('reflect-metadata');
const { Injectable, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { InngestFunction, InngestModule } = require('@sagaline/nestjs-inngest');"
  fi
  cat <<JS
$load
class Greeter { greet(name) { return 'hello ' + name; } }
Injectable()(Greeter);
class Hello {
  constructor(greeter) { this.greeter = greeter; }
  async hello({ event, step }) {
    const name = await step.run('name', () => event.data.name);
    return step.run('greet', () => this.greeter.greet(name));
  }
}
Injectable()(Hello);
Reflect.defineMetadata('design:paramtypes', [Greeter], Hello);
InngestFunction({ id: 'hello', triggers: { event: 'demo/hello' } })(
  Hello.prototype, 'hello', Object.getOwnPropertyDescriptor(Hello.prototype, 'hello'));
class AppModule {}
Module({ imports: [InngestModule.forRoot({ appId: 'smoke', mode: 'dev', baseUrl: 'http://127.0.0.1:9' })], providers: [Greeter, Hello] })(AppModule);

async function main() {
  const app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()) + '/api/inngest?fnId=smoke-hello&stepId=step';
  const event = { name: 'demo/hello', data: { name: 'tarball' } };
  const steps = {};
  for (let i = 0; i < 5; i++) {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event, events: [event], steps, ctx: { run_id: 'r1', attempt: 0, stack: { stack: Object.keys(steps), current: 0 } }, version: 2 }) });
    const body = await res.json();
    if (res.status === 200) {
      if (body !== 'hello tarball') throw new Error('unexpected output ' + JSON.stringify(body));
      console.log('completed after', i + 1, 'Call Requests with', JSON.stringify(body));
      await app.close();
      return;
    }
    if (res.status !== 206) throw new Error('unexpected status ' + res.status + ' ' + JSON.stringify(body));
    for (const op of body) steps[op.id] = { data: op.data };
  }
  throw new Error('did not complete');
}
main().catch((error) => { console.error(error); process.exit(1); });
JS
}

run_app() { # $1: nest major, $2: esm|cjs
  local dir="$work/app-nest$1-$2"
  mkdir -p "$dir" && cd "$dir"
  local type=commonjs; [ "$2" = esm ] && type=module
  cat > package.json <<JSON
{ "name": "smoke-$1-$2", "private": true, "type": "$type" }
JSON
  npm install --no-audit --no-fund --loglevel=error "$tarball" "@nestjs/common@^$1" "@nestjs/core@^$1" \
    "@nestjs/platform-express@^$1" "inngest@$inngest" reflect-metadata rxjs >/dev/null
  app_source "$2" > main.js
  printf 'NestJS %s (%s), packed tarball: ' "$(node -p "require('@nestjs/core/package.json').version")" "$2"
  node main.js
}

run_app 12 esm
run_app 11 cjs
