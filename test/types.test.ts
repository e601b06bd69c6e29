// The published types as a strict TypeScript user gets them (dist/*.d.ts, built by `npm test`): complete, precise
// enough to catch mistakes at compile time, and without the package's internal helpers.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';

import { PACKAGE_ROOT } from './helpers/child';

const DIST = path.join(PACKAGE_ROOT, 'dist');

const CONSUMERS = {
  good: `
import { safeRead, safeMemcpy, watchSignals, formatAddress, readMaps, monitorAccess, trackWrites, type Access, type SignalInfo, type SignalName, type CopyResult, type MapEntry, type ReadMapsOptions, type WriteTracker, type Range } from 'memprobe';
const r = safeRead(0n, 8);
if (!r.ok) { const code: string = r.fault.code; const at: string = formatAddress(r.fault.address); void code; void at; }
else { const none: null = r.fault; void none; }
const c: CopyResult = safeMemcpy(Buffer.alloc(8), 0n, 8);
const copied: number = c.bytesCopied; void copied;
const w = watchSignals(['SIGUSR2', 'SIGRTMIN+3', 'SIGRTMAX-1', 12], (info: SignalInfo) => {
  const code: 'SI_QUEUE' | 'SI_USER' | string = info.code; void code;
});
w.close();
// Signals the C library keeps below its SIGRTMIN, as signalName gives them (SIG34: musl, whose SIGRTMIN is 35).
const reserved: SignalName[] = ['SIG32', 'SIG33', 'SIG34']; void reserved;
const named: Buffer = readMaps(undefined, { encoding: 'buffer' })[0].path;
const decoded: string = readMaps(process.pid)[0].path;
const either: Array<MapEntry | MapEntry<Buffer>> = readMaps(undefined, { encoding: Math.random() > 0.5 ? 'buffer' : 'utf8' } as ReadMapsOptions);
void named; void decoded; void either;
const tracker: WriteTracker = trackWrites({ start: 0n, end: 1n }, { mechanism: 'soft-dirty' });
const pages: Range[] = tracker.written(); const how: 'pagemap-scan' | 'soft-dirty' | 'write-faults' = tracker.mechanism; void pages; void how;
const monitor = monitorAccess([{ start: 0n, end: 4096n }], (access: Access) => {
  const operation: 'read' | 'write' | 'execute' = access.operation; const time: bigint = access.time; void operation; void time;
});
monitor.stop();`,
  'a monitored range given in numbers': `import { monitorAccess } from 'memprobe'; monitorAccess([{ start: 0, end: 4096 }], () => undefined);`,
  'a buffer path taken for a string': `import { readMaps } from 'memprobe'; const path: string = readMaps(1, { encoding: 'buffer' })[0].path; void path;`,
  'an encoding readMaps does not know': `import { readMaps } from 'memprobe'; readMaps(1, { encoding: 'latin1' });`,
  'a fault read without checking ok': `import { safeRead } from 'memprobe'; const code = safeRead(0n, 8).fault.code; void code;`,
  'a misspelled signal name': `import { watchSignals } from 'memprobe'; watchSignals(['SIGUSR3']);`,
  'a real-time name counted the wrong way': `import { signalNumber } from 'memprobe'; signalNumber('SIGRTMIN-1');`,
  'an si_code that does not exist': `import type { SignalInfo } from 'memprobe'; const c: SignalInfo['code'] = 'SI_NOPE'; void c;`,
  'a write-tracking mechanism that does not exist': `import { trackWrites } from 'memprobe'; trackWrites({ start: 0n, end: 1n }, { mechanism: 'fault' });`,
  'an internal helper': `import { binding } from 'memprobe'; void binding;`,
};

/**
 * Each consumer file (importing 'memprobe', resolved to dist/index.d.ts) compiled under strict with the
 * libraries checked too, in one program: its diagnostics by name.
 */
function compileConsumers(): Record<string, string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-types-'));
  try {
    const files = Object.entries(CONSUMERS).map(([name, code], index) => {
      const file = path.join(dir, `consumer${index}.ts`);
      fs.writeFileSync(file, code);
      return [name, file] as const;
    });
    const program = ts.createProgram(files.map(([, file]) => file), {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      skipLibCheck: false,
      types: ['node'],
      typeRoots: [path.join(PACKAGE_ROOT, 'node_modules', '@types')],
      baseUrl: PACKAGE_ROOT,
      paths: { memprobe: ['dist/index.d.ts'] },
    });
    const libraries = ts.getPreEmitDiagnostics(program).filter((d) => d.file === undefined || !d.file.fileName.startsWith(dir));
    const byName: Record<string, string[]> = { libraries: libraries.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')) };
    for (const [name, file] of files) {
      byName[name] = ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    }
    return byName;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('published types', () => {
  test('no declaration file exports anything the package root does not', () => {
    const files = (fs.readdirSync(DIST, { recursive: true }) as string[]).filter((file) => file.endsWith('.d.ts')).map((file) => path.join(DIST, file));
    expect(files.length).toBeGreaterThan(20);  // the folders' declarations too, not only the top level
    const program = ts.createProgram(files, { types: ['node'], typeRoots: [path.join(PACKAGE_ROOT, 'node_modules', '@types')] });
    const checker = program.getTypeChecker();
    const exportsOf = (file: string): string[] => {
      const module = checker.getSymbolAtLocation(program.getSourceFile(file)!);
      return module === undefined ? [] : checker.getExportsOfModule(module).map((symbol) => symbol.name);
    };
    const root = new Set(exportsOf(path.join(DIST, 'index.d.ts')));
    expect(root.has('safeMemcpy')).toBe(true);
    const extra = files.flatMap((file) => exportsOf(file).filter((name) => !root.has(name)).map((name) => `${path.relative(DIST, file)}: ${name}`));
    expect(extra).toEqual([]);
  });

  describe('compiled by a strict consumer', () => {
    const diagnostics = compileConsumers();

    test('the declarations themselves have no errors', () => {
      expect(diagnostics.libraries).toEqual([]);
    });

    test('results narrow on ok, signal names and codes check', () => {
      expect(diagnostics.good).toEqual([]);
    });

    test.each(Object.keys(CONSUMERS).filter((name) => name !== 'good'))('%s does not compile', (name) => {
      expect(diagnostics[name]).not.toEqual([]);
    });
  });
});
