import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

// The compiler is the workspace's; the NestJS 11 job runs these tests in a project without it.
const ts = await import('typescript').then(
  (module) => (module as { default?: typeof import('typescript') }).default ?? module,
  () => undefined,
);

const typesDir = fileURLToPath(new URL('./types/', import.meta.url));

/** Code a user could write with three declared events; each case is one line, found by its marker. */
const source = `
import type { InngestContext, InngestService, InngestTrigger } from '../../src';
declare module '../../src' {
  interface InngestEvents {
    'fx/probe.requested': { pair: string };
    'transfer/requested': { transferId: string; amount: number };
    'order/created': { orderId: string };
  }
}
declare const inngest: InngestService;
export async function cases() {
  await inngest.send({ name: 'transfer/requestd', data: { pair: 'EURUSD' } }); // single-typo
  await inngest.send([{ name: 'order/created', data: { orderId: 'o' } }, { name: 'transfer/requestd', data: { transferId: 't', amount: 1 } }]); // batch-typo
  await inngest.send({ name: 'transfer/requested', data: { transferId: 't' } }); // missing-field
}
export const trigger: InngestTrigger = { event: 'order/creatd' }; // trigger-typo
export function handler(_: InngestContext<'order/creatd'>) {} // context-typo
`;

const declaredNames = '"fx/probe.requested" | "transfer/requested" | "order/created"';

describe.skipIf(!ts)('compile errors for misspelled event names', () => {
  const errors = new Map<string, string>();

  beforeAll(() => {
    const compiler = ts!;
    const configPath = `${typesDir}tsconfig.json`;
    const config = compiler.getParsedCommandLineOfConfigFile(
      configPath,
      {},
      {
        ...compiler.sys,
        onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
          throw new Error(compiler.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
        },
      },
    )!;
    const fileName = `${typesDir}misspelled-events.ts`;
    const host = compiler.createCompilerHost(config.options);
    const { getSourceFile, fileExists, readFile } = host;
    host.getSourceFile = (name, version, ...rest) =>
      name === fileName
        ? compiler.createSourceFile(name, source, version)
        : getSourceFile.call(host, name, version, ...rest);
    host.fileExists = (name) => name === fileName || fileExists.call(host, name);
    host.readFile = (name) => (name === fileName ? source : readFile.call(host, name));
    const program = compiler.createProgram([fileName], config.options, host);
    const file = program.getSourceFile(fileName)!;
    const lines = source.split('\n');
    for (const diagnostic of compiler.getPreEmitDiagnostics(program, file)) {
      const { line } = file.getLineAndCharacterOfPosition(diagnostic.start!);
      const marker = /\/\/ ([\w-]+)$/.exec(lines[line]!)?.[1] ?? `line ${line}`;
      const message = compiler.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      errors.set(marker, errors.has(marker) ? `${errors.get(marker)}\n${message}` : message);
    }
  });

  it('reports a misspelled name in send() against every declared name, not against one other event', () => {
    expect(errors.get('single-typo')).toContain(
      `Type '"transfer/requestd"' is not assignable to type '${declaredNames}'.`,
    );
  });

  it('reports a misspelled name in a batch against every declared name, with a suggestion', () => {
    expect(errors.get('batch-typo')).toContain(
      `Type '"transfer/requestd"' is not assignable to type '${declaredNames}'. Did you mean '"transfer/requested"'?`,
    );
  });

  it('still reports a payload that misses a declared field', () => {
    expect(errors.get('missing-field')).toContain("Property 'amount' is missing");
  });

  it('reports a misspelled trigger against every declared name and the wildcard form', () => {
    expect(errors.get('trigger-typo')).toContain(
      `Type '"order/creatd"' is not assignable to type '${declaredNames} | \`\${string}*\` | undefined'. Did you mean '"order/created"'?`,
    );
  });

  it('reports a misspelled name in InngestContext against every declared name', () => {
    expect(errors.get('context-typo')).toContain(
      `Type '"order/creatd"' does not satisfy the constraint '${declaredNames}'.`,
    );
  });

  it('reports nothing else', () => {
    expect([...errors.keys()].sort()).toEqual([
      'batch-typo',
      'context-typo',
      'missing-field',
      'single-typo',
      'trigger-typo',
    ]);
  });
});
