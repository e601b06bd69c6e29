// The symbols fixture (test/fixtures/symbols-target.c) built in its four variants, PIE and non-PIE, each with and
// without .symtab, and run as a child to be read from outside: its one line of JSON says where everything is.
// The variants are built once per version of the source into a cache directory (a build goes to a temporary name
// and is renamed into place, so test files that run side by side never see half a file).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';

export const SYMBOLS_TARGET_VARIANTS = ['pie', 'pie-stripped', 'nopie', 'nopie-stripped'] as const;
export type SymbolsTargetVariant = (typeof SYMBOLS_TARGET_VARIANTS)[number];

const SOURCE = path.join(__dirname, '..', 'fixtures', 'symbols-target.c');
const COMPILE = ['-O2', '-Wall', '-Wextra', '-Werror', '-std=gnu11', '-rdynamic', '-Wl,--build-id=sha1'];
const LINK = ['-ldl'];
const POSITION: Record<'pie' | 'nopie', string[]> = { pie: ['-fPIE', '-pie'], nopie: ['-fno-pie', '-no-pie'] };

/** What dladdr() said about one address inside the fixture. */
export interface DladdrReport {
  address: bigint;
  found: boolean;
  dli_fname: string | null;
  dli_fbase: bigint;
  dli_sname: string | null;
  dli_saddr: bigint;
}

/** The fixture's description of itself, with its hex strings as bigints. */
export interface SymbolsTargetReport {
  pid: number;
  /** /proc/self/exe as the fixture read it */
  exe: string;
  pageSize: number;
  /** &symbol of each exported (default-visibility, in .dynsym) function and object */
  exported: Record<string, bigint>;
  /** the names (exported and static) that are functions */
  functions: string[];
  /** &symbol of each static function and object (in .symtab only) */
  static: Record<string, bigint>;
  struct: {
    offsets: { magic: number; version: number; wide: number; ratio: number; name: number };
    magic: number;
    version: number;
    wide: bigint;
    ratio: number;
    name: string;
  };
  counter: bigint;
  strings: { ascii: string; utf8: string; utf8Bytes: number; utf16: string; utf16Units: number };
  chain: {
    root: bigint;
    offsets: number[];
    /** the offset in node1 of a pointer to a page that is no longer mapped */
    unmappedOffset: number;
    node1: bigint;
    node2: bigint;
    unmapped: bigint;
    valueAddress: bigint;
    value: number;
  };
  /** a text file the fixture wrote and mapped: a mapped file that is no ELF object */
  mappedText: { path: string; address: bigint; length: number };
  /** a static function of the executable named like a (weak) libc export: the executable's and libc's addresses */
  shadowing: { name: string; executable: bigint; libc: bigint };
  /** getauxval(AT_SYSINFO_EHDR) */
  vdso: bigint;
  dladdr: Record<string, DladdrReport>;
}

/** What the fixture says about its own memory when asked (after the first line). */
export interface SymbolsTargetStatus {
  counter: bigint;
  magic: number;
}

export interface SymbolsTarget {
  pid: number;
  report: SymbolsTargetReport;
  variant: SymbolsTargetVariant;
  /** the executable's path, as the maps show it (symbolic links resolved) */
  path: string;
  /** asks the fixture for its counter and the struct's magic, as it reads them itself */
  status(): Promise<SymbolsTargetStatus>;
  /** closes its stdin and waits for it to exit: its exit code and signal */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** JSON.parse with the fixture's hex strings ("0x...": addresses and 64-bit values, its only such strings) as bigints. */
function parseReport<T>(line: string): T {
  return JSON.parse(line, (_key, value: unknown) => (typeof value === 'string' && /^0x[0-9a-f]+$/.test(value) ? BigInt(value) : value)) as T;
}

function cacheDirectory(): string {
  const hash = createHash('sha256');
  hash.update(fs.readFileSync(SOURCE));
  hash.update(JSON.stringify([COMPILE, LINK, POSITION]));
  return path.join(os.tmpdir(), 'memprobe-fixtures', `symbols-target-${hash.digest('hex').slice(0, 16)}`);
}

/** Puts `build`'s output at `output` atomically: built at a temporary name, then renamed. */
function buildOnce(output: string, build: (temporary: string) => void): void {
  if (fs.existsSync(output)) return;
  const temporary = `${output}.${process.pid}.tmp`;
  build(temporary);
  fs.renameSync(temporary, output);
}

/** The four variants' paths (symbolic links resolved, as the maps show them), built if absent. */
export function buildSymbolsTargets(): Record<SymbolsTargetVariant, string> {
  const directory = cacheDirectory();
  fs.mkdirSync(directory, { recursive: true });
  const paths = {} as Record<SymbolsTargetVariant, string>;
  for (const position of ['pie', 'nopie'] as const) {
    const full = path.join(directory, `symbols-target-${position}`);
    const stripped = `${full}-stripped`;
    buildOnce(full, (temporary) => execFileSync('cc', [...COMPILE, ...POSITION[position], '-o', temporary, SOURCE, ...LINK]));
    buildOnce(stripped, (temporary) => execFileSync('strip', ['--strip-all', '-o', temporary, full]));
    paths[position] = fs.realpathSync(full);
    paths[`${position}-stripped`] = fs.realpathSync(stripped);
  }
  return paths;
}

const running = new Set<SymbolsTarget>();

/**
 * Starts the fixture's `variant` and waits for its report. Stop it with stop() (or stopSymbolsTargets()). With
 * `copyTo`, runs a copy of the variant made at that path (which the test may then replace or delete).
 */
export async function startSymbolsTarget(variant: SymbolsTargetVariant, { copyTo }: { copyTo?: string } = {}): Promise<SymbolsTarget> {
  let executable = buildSymbolsTargets()[variant];
  if (copyTo !== undefined) {
    fs.copyFileSync(executable, copyTo);
    fs.chmodSync(copyTo, 0o755);
    executable = fs.realpathSync(copyTo);
  }
  const child: ChildProcess = spawn(executable, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const lines = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string> => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`the symbols fixture (${variant}) ended its output early`);
    return value as string;
  };
  let stopped: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;
  const target: SymbolsTarget = {
    pid: child.pid!,
    report: undefined as unknown as SymbolsTargetReport,
    variant,
    path: executable,
    async status() {
      child.stdin!.write('status\n');
      return parseReport<SymbolsTargetStatus>(await nextLine());
    },
    stop() {
      stopped ??= (async () => {
        child.stdin!.end();
        const [code, signal] = await exited;
        running.delete(target);
        return { code, signal };
      })();
      return stopped;
    },
  };
  running.add(target);
  try {
    target.report = parseReport<SymbolsTargetReport>(await nextLine());
  } catch (error) {
    child.kill('SIGKILL');
    running.delete(target);
    throw error;
  }
  return target;
}

/** Stops every fixture still running (for afterAll): each closes its stdin and is waited for. */
export async function stopSymbolsTargets(): Promise<void> {
  await Promise.all([...running].map((target) => target.stop()));
}

// ---- what binutils say about an ELF file, to compare with (each use checks the tool exists first) ----

/** Whether `tool` can be run here (false only when it is missing: ENOENT). */
export function toolAvailable(tool: string): boolean {
  const run = spawnSync(tool, ['--version'], { stdio: 'ignore' });
  return (run.error as NodeJS.ErrnoException | undefined)?.code !== 'ENOENT';
}

/** NT_GNU_BUILD_ID as `readelf -n` prints it (lowercase hex), or null when the file has none. */
export function readelfBuildId(file: string): string | null {
  const match = /Build ID: ([0-9a-f]+)/.exec(execFileSync('readelf', ['-nW', file], { encoding: 'utf8' }));
  return match ? match[1] : null;
}

/** The virtual address of the file's first PT_LOAD, as `readelf -l` prints it. */
export function readelfFirstLoad(file: string): bigint {
  const match = /^\s*LOAD\s+0x[0-9a-f]+\s+(0x[0-9a-f]+)/m.exec(execFileSync('readelf', ['-lW', file], { encoding: 'utf8' }));
  if (!match) throw new Error(`readelf -l ${file} shows no LOAD segment`);
  return BigInt(match[1]);
}

/**
 * The defined symbols `nm` lists (`dynamic`: .dynsym, with -D; else .symtab), name to st_value. A versioned name
 * keeps its default version (name@@VERSION, or the unversioned name), never a hidden one (name@VERSION).
 */
export function nmSymbols(file: string, { dynamic }: { dynamic: boolean }): Map<string, bigint> {
  const output = execFileSync('nm', [...(dynamic ? ['-D'] : []), '--defined-only', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const symbols = new Map<string, bigint>();
  for (const line of output.split('\n')) {
    const match = /^([0-9a-f]+) \S (\S+)$/.exec(line);
    if (!match) continue;
    const [, value, versioned] = match;
    if (/[^@]@[^@]/.test(versioned)) continue;  // a hidden version
    symbols.set(versioned.split('@@')[0], BigInt(`0x${value}`));
  }
  return symbols;
}

/** A fixture that has exited and is not yet reaped (a zombie): its parent, a shell, waits for it only when told. */
export interface ZombieSymbolsTarget {
  pid: number;
  report: SymbolsTargetReport;
  /** lets the shell reap it and exit: the shell's exit code and signal */
  reap(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The state letter of /proc/<pid>/stat ('Z' for a zombie), or null once the process is gone. */
function processState(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

/**
 * Starts the fixture's `variant` under a shell that does not reap it until reap(): the fixture reads EOF at once,
 * prints its report and exits, and stays a zombie (no memory, its /proc entry still there) until then.
 */
export async function startZombieSymbolsTarget(variant: SymbolsTargetVariant): Promise<ZombieSymbolsTarget> {
  const executable = buildSymbolsTargets()[variant];
  // `read` blocks the shell, which reaps nothing until `wait`: the fixture, its stdin at EOF, exits meanwhile.
  const shell = spawn('sh', ['-c', '"$0" </dev/null & read line; wait', executable], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(shell, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const lines = readline.createInterface({ input: shell.stdout! })[Symbol.asyncIterator]();
  const reap = async (): Promise<{ code: number | null; signal: NodeJS.Signals | null }> => {
    shell.stdin!.end('reap\n');
    const [code, signal] = await exited;
    return { code, signal };
  };
  const first = await lines.next();
  if (first.done) {
    await reap();
    throw new Error(`the symbols fixture (${variant}) printed nothing`);
  }
  const report = parseReport<SymbolsTargetReport>(first.value as string);
  const deadline = Date.now() + 10_000;
  while (processState(report.pid) !== 'Z') {
    if (Date.now() > deadline) {
      await reap();
      throw new Error(`the symbols fixture (${variant}, pid ${report.pid}) did not become a zombie: state ${processState(report.pid)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { pid: report.pid, report, reap };
}
