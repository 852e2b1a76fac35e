// Scaffolds packages/<name> with the house build, test and publish settings.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';

const [name, description] = process.argv.slice(2);
if (!name || !description) throw new Error('usage: node scripts/new-package.mjs <name> "<description>"');
const dir = `packages/${name}`;
if (existsSync(dir)) throw new Error(`${dir} already exists`);
for (const sub of ['src', 'test', 'bench']) mkdirSync(`${dir}/${sub}`, { recursive: true });

const pkg = {
  name: `@sagaline/${name}`,
  version: '0.1.0',
  description,
  license: 'MIT',
  type: 'module',
  sideEffects: false,
  main: './dist/index.cjs',
  module: './dist/index.js',
  types: './dist/index.d.cts',
  exports: {
    '.': {
      import: { types: './dist/index.d.ts', default: './dist/index.js' },
      require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
    },
    './package.json': './package.json',
  },
  files: ['dist', 'README.md'],
  engines: { node: '>=20.19' },
  publishConfig: { access: 'public' },
  scripts: {
    build: 'tsup',
    test: 'vitest run',
    bench: 'node --import @swc-node/register/esm-register bench/run.ts',
    typecheck: 'tsc -p tsconfig.json',
    'check:package': 'publint --strict && attw --pack . --profile node16',
  },
  peerDependencies: {
    '@nestjs/common': '^11.0.0 || ^12.0.0',
    '@nestjs/core': '^11.0.0 || ^12.0.0',
    inngest: '^4.0.0',
    'reflect-metadata': '^0.1.13 || ^0.2.0',
    rxjs: '^7.1.0',
  },
  devDependencies: {},
};
writeFileSync(`${dir}/package.json`, JSON.stringify(pkg, null, 2) + '\n');
writeFileSync(
  `${dir}/tsconfig.json`,
  JSON.stringify({ extends: '../../tsconfig.json', include: ['src', 'test', 'bench'] }, null, 2) + '\n',
);
writeFileSync(
  `${dir}/tsup.config.ts`,
  "import { packageBuildConfig } from '../../tsup.shared';\n\nexport default packageBuildConfig();\n",
);
writeFileSync(
  `${dir}/vitest.config.ts`,
  "import { packageTestConfig } from '../../vitest.shared';\n\nexport default packageTestConfig();\n",
);
console.log(`created ${dir}`);
