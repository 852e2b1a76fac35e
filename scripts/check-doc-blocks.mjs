#!/usr/bin/env node
// Type-checks every TypeScript block of the guides and READMEs against the built packages, and
// checks that blocks which show a file of the repository show it verbatim.
//
// Conventions, all invisible to a reader (HTML comments render as nothing on GitHub and TypeDoc):
//   <!-- file: ../examples/docs/src/getting-started/main.ts -->   the next block is that file,
//       byte for byte (any language); a TypeScript one is checked as that file, in its folder.
//   <!-- prelude
//   import { Injectable } from '@nestjs/common';
//   -->                                 code the next block needs but the reader does not: the
//       block is checked as prelude + block.
//   ```ts ignore                        not checked; for fragments that cannot stand alone.
//
// Each block is a module of its own; the blocks of one Markdown file form one program, so they
// share the events a `declare module` adds, as one app would. Compiler options are those of
// examples/docs/tsconfig.json (the NestJS 12 ESM tsconfig of docs/decorators.md), and packages
// resolve from examples/docs, which depends on every workspace package's build.
//
// The blocks are compiled in memory, as files under examples/docs/.doc-blocks/ (never written),
// so that their imports resolve exactly as a file of that package would.
//
// Usage: node scripts/check-doc-blocks.mjs [--sync] [file.md ...]   (default: every guide and README)
//   --sync first copies each file a `<!-- file: … -->` block shows into its block.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const project = path.join(root, 'examples/docs');
const virtualDir = path.join(project, '.doc-blocks');
// no tsx: the blocks compile as .ts files, where JSX does not parse (and no doc shows any)
const checkedLanguages = new Set(['ts', 'typescript']);

function defaultDocuments() {
  const inDir = (dir, pick) =>
    existsSync(path.join(root, dir))
      ? readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => pick(entry))
      : [];
  return [
    'README.md',
    ...inDir('docs', (e) => (e.isFile() && e.name.endsWith('.md') ? [`docs/${e.name}`] : [])),
    ...['packages', 'examples'].flatMap((dir) =>
      inDir(dir, (e) =>
        e.isDirectory() && existsSync(path.join(root, dir, e.name, 'README.md'))
          ? [`${dir}/${e.name}/README.md`]
          : [],
      ),
    ),
  ];
}

/**
 * The fenced blocks of a Markdown file, with the line of their first code line and the marker
 * comment just above their opening fence, if any.
 */
function parseBlocks(text) {
  const lines = text.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(\S*)\s*(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang, flags] = open;
    let end = i + 1;
    while (
      end < lines.length &&
      !(lines[end].trim().startsWith(fence) && lines[end].trim().replace(/[`~]/g, '') === '')
    )
      end++;
    const code = lines
      .slice(i + 1, end)
      .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line));
    blocks.push({
      lang: lang.toLowerCase(),
      flags: flags.split(/\s+/).filter(Boolean),
      firstLine: i + 2,
      code,
      marker: markerAbove(lines, i),
    });
    i = end;
  }
  return blocks;
}

/** The `<!-- file: … -->` or `<!-- prelude … -->` comment ending on the line above `fenceIndex`. */
function markerAbove(lines, fenceIndex) {
  const last = fenceIndex - 1;
  if (last < 0 || !lines[last].trimEnd().endsWith('-->')) return undefined;
  let first = last;
  while (first >= 0 && !lines[first].trimStart().startsWith('<!--')) first--;
  if (first < 0) return undefined;
  const body = lines
    .slice(first, last + 1)
    .join('\n')
    .trim()
    .slice(4, -3);
  const file = /^\s*file:\s*(\S+)\s*$/.exec(body);
  if (file) return { kind: 'file', path: file[1] };
  const prelude = /^\s*prelude\s*\n([\s\S]*)$/.exec(body);
  if (prelude) return { kind: 'prelude', code: prelude[1].replace(/\s+$/, '').split('\n') };
  return undefined;
}

function compilerOptions() {
  const configPath = path.join(project, 'tsconfig.json');
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, project, undefined, configPath);
  return { ...parsed.options, noEmit: true, outDir: undefined, rootDir: undefined };
}

// One compiler host for every program, so the packages' declaration files are parsed once.
const options = compilerOptions();
const baseHost = ts.createCompilerHost(options, true);
const virtualFiles = new Map();
const parsed = new Map();
const host = {
  ...baseHost,
  fileExists: (file) => virtualFiles.has(file) || baseHost.fileExists(file),
  readFile: (file) => virtualFiles.get(file) ?? baseHost.readFile(file),
  getSourceFile(file, languageVersion, onError) {
    const text = virtualFiles.get(file);
    if (text !== undefined) return ts.createSourceFile(file, text, languageVersion, true);
    const key = `${file}|${typeof languageVersion === 'object' ? languageVersion.impliedNodeFormat : ''}`;
    if (!parsed.has(key)) parsed.set(key, baseHost.getSourceFile(file, languageVersion, onError));
    return parsed.get(key);
  },
};

/** Checks one Markdown file; returns its problems as `file:line: message` strings. */
function checkDocument(relative) {
  const mdPath = path.join(root, relative);
  const problems = [];
  const sources = new Map(); // compiled file → { firstLine, offset } in the Markdown file
  for (const block of parseBlocks(readFileSync(mdPath, 'utf8'))) {
    const at = `${relative}:${block.firstLine}`;
    if (block.marker?.kind === 'file') {
      const target = path.resolve(path.dirname(mdPath), block.marker.path);
      if (!existsSync(target)) {
        problems.push(`${at}: the block shows ${block.marker.path}, which does not exist`);
        continue;
      }
      const expected = readFileSync(target, 'utf8').replace(/\s+$/, '');
      if (block.code.join('\n').replace(/\s+$/, '') !== expected) {
        problems.push(
          `${at}: the block differs from ${path.relative(root, target)}; run \`pnpm docs:check --sync\` to copy it in`,
        );
      }
      if (checkedLanguages.has(block.lang)) sources.set(target, { firstLine: block.firstLine, offset: 0 });
      continue;
    }
    if (!checkedLanguages.has(block.lang) || block.flags.includes('ignore')) continue;
    const prelude = block.marker?.kind === 'prelude' ? block.marker.code : [];
    const file = path.join(virtualDir, relative.replace(/[/.]/g, '_'), `line-${block.firstLine}.ts`);
    virtualFiles.set(file, [...prelude, ...block.code, 'export {};', ''].join('\n'));
    sources.set(file, { firstLine: block.firstLine, offset: prelude.length });
  }
  if (sources.size === 0) return problems;

  const program = ts.createProgram({ rootNames: [...sources.keys()], options, host });
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n  ');
    const source = diagnostic.file && sources.get(diagnostic.file.fileName);
    if (!source) {
      const where = diagnostic.file
        ? `${path.relative(root, diagnostic.file.fileName)}:${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1}`
        : relative;
      problems.push(`${where}: TS${diagnostic.code} ${message}`);
      continue;
    }
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    const inPrelude = line < source.offset;
    const mdLine = inPrelude ? source.firstLine - 2 : source.firstLine + line - source.offset;
    problems.push(
      `${relative}:${mdLine}: TS${diagnostic.code} ${inPrelude ? '(in the prelude) ' : ''}${message}`,
    );
  }
  return problems;
}

/** Replaces each `<!-- file: … -->` block of a Markdown file with the file it names. */
function syncFileBlocks(relative) {
  const mdPath = path.join(root, relative);
  const lines = readFileSync(mdPath, 'utf8').split('\n');
  const blocks = parseBlocks(lines.join('\n')).filter((block) => block.marker?.kind === 'file');
  for (const block of blocks.reverse()) {
    const target = path.resolve(path.dirname(mdPath), block.marker.path);
    if (!existsSync(target)) continue;
    const code = readFileSync(target, 'utf8').replace(/\s+$/, '').split('\n');
    lines.splice(block.firstLine - 1, block.code.length, ...code);
  }
  writeFileSync(mdPath, lines.join('\n'));
}

const args = process.argv.slice(2);
const sync = args.includes('--sync');
const named = args.filter((arg) => arg !== '--sync');
const documents = named.length > 0 ? named : defaultDocuments();
if (sync) for (const document of documents) syncFileBlocks(document);
let failed = 0;
for (const document of documents) {
  const problems = checkDocument(document);
  failed += problems.length;
  console.log(`${problems.length === 0 ? 'ok  ' : 'FAIL'} ${document}`);
  for (const problem of problems) console.log(`  ${problem}`);
}
if (failed > 0) {
  console.error(`\n${failed} problem(s) in the docs' code blocks.`);
  process.exit(1);
}
