// The README's code as a user pastes it: every block that uses the package is a file under examples/, shown
// verbatim; the TypeScript ones compile under strict and, run, print what their comments say.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

import { PACKAGE_ROOT } from './helpers/child';

const README = fs.readFileSync(path.join(PACKAGE_ROOT, 'README.md'), 'utf8');
const EXAMPLES = path.join(PACKAGE_ROOT, 'examples');

interface CodeBlock {
  language: string;
  code: string;
}

function codeBlocks(markdown: string): CodeBlock[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match) => ({ language: match[1], code: match[2] }));
}

/** An example file as the README shows it: everything from its first import or require on. */
function shownPart(file: string): string {
  const text = fs.readFileSync(path.join(EXAMPLES, file), 'utf8');
  const lines = text.split('\n');
  const first = lines.findIndex((line) => /^(import |const .* = require\()/.test(line));
  return lines.slice(first).join('\n');
}

/** What each console.log line says it prints: the comment after it (`…` matches anything). */
function expectedOutput(code: string): RegExp[] {
  return code
    .split('\n')
    .filter((line) => /console\.log\(.*\/\/ /.test(line))
    .map((line) => line.slice(line.lastIndexOf('// ') + 3).trim())
    .map((text) => new RegExp(`^${text.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`));
}

function compileStrict(files: string[]): string[] {
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    esModuleInterop: true,
    skipLibCheck: true,
    types: ['node'],
    baseUrl: PACKAGE_ROOT,
    paths: { memprobe: ['dist/index.d.ts'] },  // the types users get
  });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

const TS_EXAMPLES = fs.readdirSync(EXAMPLES).filter((file) => file.endsWith('.ts'));

describe('README', () => {
  test('every code block that uses the package is an example file, shown verbatim', () => {
    const shown = fs.readdirSync(EXAMPLES).map((file) => [file, shownPart(file)] as const);
    const usesPackage = codeBlocks(README).filter((block) => /from 'memprobe'|require\('memprobe'\)/.test(block.code));
    expect(usesPackage.length).toBeGreaterThanOrEqual(2);
    for (const block of usesPackage) {
      const match = shown.find(([, part]) => part.trim() === block.code.trim());
      expect({ block: block.code.slice(0, 200), file: match?.[0] ?? 'no example file shows this block' }).toEqual({
        block: block.code.slice(0, 200),
        file: expect.stringMatching(/\.(ts|js)$/),
      });
    }
  });

  test('the quick start and the FFI example are shown in the README', () => {
    const blocks = codeBlocks(README).map((block) => block.code.trim());
    expect(blocks).toContain(shownPart('quick-start.ts').trim());
    expect(blocks).toContain(shownPart('ffi-pointer.ts').trim());
  });

  test('the TypeScript examples compile under strict', () => {
    expect(compileStrict(TS_EXAMPLES.map((file) => path.join(EXAMPLES, file)))).toEqual([]);
  });

  test.each(TS_EXAMPLES)('%s prints what its comments say', (file) => {
    const source = fs.readFileSync(path.join(EXAMPLES, file), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    // Run from the package root, where `memprobe` resolves to the package itself, as it does for a user.
    const run = spawnSync(process.execPath, ['-e', outputText], { cwd: PACKAGE_ROOT, encoding: 'utf8', timeout: 30_000 });
    expect({ status: run.status, signal: run.signal, stderr: run.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    const expected = expectedOutput(source);
    const printed = run.stdout.trimEnd().split('\n');
    expect(expected.length).toBeGreaterThan(0);
    expect(printed).toHaveLength(expected.length);
    printed.forEach((line, index) => expect(line).toMatch(expected[index]));
  });
});
