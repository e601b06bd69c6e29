// The documents' code as a user pastes it: every block of the README and the hand-written documents that uses
// the package is a file under examples/, shown verbatim; the TypeScript ones compile under strict and, run, print
// what their comments say.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

import { PACKAGE_ROOT, spawnNodeSync } from './helpers/child';

const README = fs.readFileSync(path.join(PACKAGE_ROOT, 'README.md'), 'utf8');
// The hand-written documents (docs/api.md is generated from the sources, and its examples are TSDoc's).
const DOCUMENTS = ['README.md', 'CONTRIBUTING.md', 'docs/design.md', 'docs/errors.md', 'docs/performance.md'];
const EXAMPLES = path.join(PACKAGE_ROOT, 'examples');

interface CodeBlock {
  language: string;
  code: string;
}

function codeBlocks(markdown: string): CodeBlock[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match) => ({ language: match[1], code: match[2] }));
}

/** The anchors GitHub gives a document's headings: lower case, punctuation dropped, spaces as hyphens. */
function headingAnchors(markdown: string): Set<string> {
  const prose = markdown.replace(/^```[\s\S]*?^```$/gm, '');
  const headings = [...prose.matchAll(/^#{1,6} (.+)$/gm)].map((match) => match[1].toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-'));
  const anchors = [...prose.matchAll(/<a id="([^"]+)"><\/a>/g)].map((match) => match[1]);  // TypeDoc's, in docs/api.md
  return new Set([...headings, ...anchors]);
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
  test.each(DOCUMENTS)('every code block of %s that uses the package is an example file, shown verbatim', (document) => {
    const shown = fs.readdirSync(EXAMPLES).map((file) => [file, shownPart(file)] as const);
    const markdown = fs.readFileSync(path.join(PACKAGE_ROOT, document), 'utf8');
    const usesPackage = codeBlocks(markdown).filter((block) => /from 'memprobe'|require\('memprobe'\)/.test(block.code));
    if (document === 'README.md') expect(usesPackage.length).toBeGreaterThanOrEqual(2);
    for (const block of usesPackage) {
      const match = shown.find(([, part]) => part.trim() === block.code.trim());
      expect({ block: block.code.slice(0, 200), file: match?.[0] ?? 'no example file shows this block' }).toEqual({
        block: block.code.slice(0, 200),
        file: expect.stringMatching(/\.(ts|js)$/),
      });
    }
  });

  test.each(['quick-start.ts', 'ffi-pointer.ts', 'check-pointers.ts', 'signal-daemon.ts', 'other-process.ts', 'watch-memory.ts', 'crash-reports.ts'])(
    'the README shows %s (the quick start and the recipes)', (file) => {
      expect(codeBlocks(README).map((block) => block.code.trim())).toContain(shownPart(file).trim());
    },
  );

  test.each(DOCUMENTS)('every link of %s to a document of the repository leads to a file and a heading that exist', (document) => {
    const markdown = fs.readFileSync(path.join(PACKAGE_ROOT, document), 'utf8');
    const prose = markdown.replace(/^```[\s\S]*?^```$/gm, '');
    const broken = [...prose.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((match) => match[1])
      .filter((target) => !/^[a-z]+:/.test(target))
      .filter((target) => {
        const [file, anchor] = target.split('#');
        const resolved = file === '' ? path.join(PACKAGE_ROOT, document) : path.join(PACKAGE_ROOT, path.dirname(document), file);
        if (!fs.existsSync(resolved)) return true;
        return anchor !== undefined && !headingAnchors(fs.readFileSync(resolved, 'utf8')).has(anchor);
      });
    expect(broken).toEqual([]);
  });

  // One recipe per area of the API (copies, pointers and fuzzing, signals, other processes, watching memory): about
  // 75 lines each with the quick start, the tables and the install; design and figures live in docs/.
  test('the README stays a user\'s document: about 400 lines, with a table of contents', () => {
    expect(README.split('\n').length).toBeLessThanOrEqual(400);
    expect(README).toMatch(/^## Contents$/m);
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
    const run = spawnNodeSync(['-e', outputText], { cwd: PACKAGE_ROOT, encoding: 'utf8', timeout: 30_000 });
    expect({ status: run.status, signal: run.signal, stderr: run.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    const expected = expectedOutput(source);
    const printed = run.stdout.trimEnd().split('\n');
    expect(expected.length).toBeGreaterThan(0);
    expect(printed).toHaveLength(expected.length);
    printed.forEach((line, index) => expect(line).toMatch(expected[index]));
  });
});
