// memprobe modules, symbolize, address expressions and --symbols, run as a user would (node dist/cli.js, built by
// npm test), on another process: a Node child that holds known bytes and pointers to them and to malloc, and tells
// where they are.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { findModule, findSymbol, formatAddress, hexdump, safeRead } from '../lib';
import { describeFuzz } from '../lib/cli/probe';
import type { FuzzMismatch, FuzzReport } from '../lib';
import { OUTCOMES } from '../lib/probe/fuzz-runner';
import { PACKAGE_ROOT } from './helpers/child';

const CLI = path.join(PACKAGE_ROOT, 'dist', 'cli.js');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function memprobe(...args: string[]): Run {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function expectUsageError(run: Run, command: string): void {
  expect([run.status, run.stdout]).toEqual([2, '']);
  expect(run.stderr).toMatch(new RegExp(`^memprobe ${command}: [^\\n]*\\(usage: memprobe ${command} [^\\n]*\\)\\n$`));  // one line, no stack trace
}

const hex = (address: bigint): string => `0x${address.toString(16)}`;
const TEXT = 'memprobe symbols: bytes in another process';

/**
 * The child: `text` holds TEXT; `pointers` holds three pointers: to `text`, to malloc (as the child itself finds it)
 * and NULL.
 */
let child: ChildProcess;
let target: { pid: string; text: bigint; pointers: bigint; malloc: bigint };

beforeAll(async () => {
  child = spawn(process.execPath, ['-e', `
    const memprobe = require(${JSON.stringify(PACKAGE_ROOT)});
    const text = Buffer.from(${JSON.stringify(TEXT)}, 'latin1');
    const pointers = Buffer.alloc(24);
    pointers.writeBigUInt64LE(memprobe.addressOf(text), 0);
    pointers.writeBigUInt64LE(memprobe.findSymbol('malloc'), 8);
    globalThis.keep = [text, pointers];
    console.log(JSON.stringify({ text: memprobe.addressOf(text).toString(), pointers: memprobe.addressOf(pointers).toString(), malloc: memprobe.findSymbol('malloc').toString() }));
    setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve) => child.stdout?.once('data', (data: Buffer) => resolve(data.toString())));
  const told = JSON.parse(line) as Record<'text' | 'pointers' | 'malloc', string>;
  target = { pid: String(child.pid), text: BigInt(told.text), pointers: BigInt(told.pointers), malloc: BigInt(told.malloc) };
});
afterAll(() => child.kill());

describe('modules', () => {
  test('another process: the executable first, libc among the rest, as a table and as JSON', () => {
    const executable = fs.realpathSync(process.execPath);
    const json = memprobe('modules', '--pid', target.pid, '--json');
    expect([json.status, json.stderr]).toEqual([0, '']);
    const listed = JSON.parse(json.stdout) as Array<{ name: string; path: string; base: string; end: string; size: number; buildId: string | null }>;
    expect(listed[0]).toMatchObject({ name: path.basename(executable), path: executable });
    expect(listed.map((module) => module.name)).toContain('libc.so.6');
    for (const module of listed) {
      expect(Object.keys(module).sort()).toEqual(['base', 'buildId', 'end', 'name', 'path', 'size']);
      expect([module.base, module.end]).toEqual([expect.stringMatching(/^0x[0-9a-f]{12,}$/), expect.stringMatching(/^0x[0-9a-f]{12,}$/)]);
      expect(BigInt(module.end) - BigInt(module.base)).toBe(BigInt(module.size));
      expect(module.buildId === null || /^[0-9a-f]+$/.test(module.buildId)).toBe(true);
    }
    // What the library says of the same process (its mappings do not change under a sleeping child's libraries).
    const libc = findModule('libc.so.6', { pid: Number(target.pid) });
    expect(listed.find((module) => module.name === 'libc.so.6')).toEqual({ ...libc, base: formatAddress(libc!.base), end: formatAddress(libc!.end) });

    const table = memprobe('modules', '--pid', target.pid);
    expect([table.status, table.stderr]).toEqual([0, '']);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^BASE +END +SIZE +NAME +BUILD ID +PATH$/);
    expect(lines.length).toBeGreaterThanOrEqual(listed.length + 1);  // V8 may map another object meanwhile
    const libcRow = lines.find((row) => row.split(/ +/)[4] === 'libc.so.6') as string;
    const [base, end, size, unit, name, buildId, where] = libcRow.split(/ +/);
    expect([base, end, name, where]).toEqual([formatAddress(libc!.base), formatAddress(libc!.end), 'libc.so.6', libc!.path]);
    expect(`${size} ${unit}`).toMatch(/^[\d.]+ (KiB|MiB)$/);
    expect(buildId).toBe(libc!.buildId === null ? '-' : libc!.buildId.slice(0, 12));
    expect(lines[1].split(/ +/)[4]).toBe(path.basename(executable));
    // The vDSO has no file: its path says nothing more than its name.
    const vdso = lines.find((row) => row.includes(' [vdso] '));
    if (vdso !== undefined) expect(vdso).toMatch(/ \[vdso\] +(-|[0-9a-f]{12})$/);
  });

  test('--self: the command itself, memprobe.node among its modules', () => {
    const run = memprobe('modules', '--self');
    expect([run.status, run.stderr]).toEqual([0, '']);
    expect(run.stdout).toMatch(/ memprobe\.node /);
    expect(run.stdout).toMatch(/ libc\.so\.6 /);
  });

  test('bad usage; a process that does not exist', () => {
    for (const args of [[], ['extra', '--self'], ['--pid', 'x'], ['--self', '--pid', '1']]) expectUsageError(memprobe('modules', ...args), 'modules');
    expect(memprobe('modules', '--pid', '2147483646')).toMatchObject({ status: 1, stdout: '', stderr: expect.stringMatching(/^memprobe modules: [^\n]*ESRCH[^\n]*\n$/) });
  });
});

describe('symbolize', () => {
  test("malloc, an offset into it, a heap address and one in no module: one line each, exit 0", () => {
    const malloc = findSymbol('malloc', { pid: Number(target.pid) }) as bigint;
    expect(malloc).toBe(target.malloc);  // the child's own view and ours through its pid agree
    const run = memprobe('symbolize', hex(malloc), 'libc.so.6!malloc+0x10', String(target.text), '0x10', '--pid', target.pid);
    expect(run).toEqual({
      status: 0,
      stdout: [
        `${formatAddress(malloc)}  libc.so.6!malloc`,
        `${formatAddress(malloc + 16n)}  libc.so.6!malloc+0x10`,
        `${formatAddress(target.text)}  ? (not in any module)`,
        `${formatAddress(0x10n)}  ? (not in any module)`,
      ].join('\n') + '\n',
      stderr: '',
    });
  });

  test('each answer is an expression that gives the address back', () => {
    const libc = findModule('libc.so.6', { pid: Number(target.pid) }) as NonNullable<ReturnType<typeof findModule>>;
    const addresses = [target.malloc + 5n, libc.base, libc.base + 0x1234n, libc.end - 1n].map(hex);
    const first = memprobe('symbolize', ...addresses, '--pid', target.pid);
    expect(first.status).toBe(0);
    const answers = first.stdout.trimEnd().split('\n').map((line) => line.split('  ')[1]);
    expect(answers).toHaveLength(4);
    for (const answer of answers) expect(answer).toMatch(/^libc\.so\.6([!+]|$)/);
    const again = memprobe('symbolize', ...answers, '--pid', target.pid);
    expect(again).toEqual({ status: 0, stdout: first.stdout, stderr: '' });
  });

  test('--json: an array of {address, module, offset, symbol, symbolOffset}, nulls outside every module', () => {
    const libc = findModule('libc.so.6', { pid: Number(target.pid) }) as NonNullable<ReturnType<typeof findModule>>;
    const run = memprobe('symbolize', 'malloc+0x10', '0x10', '--pid', target.pid, '--json');
    expect([run.status, run.stderr]).toEqual([0, '']);
    // Addresses padded as everywhere; offsets as the text form writes them (+0x10), not padded like addresses.
    const offset = hex(target.malloc + 16n - libc.base);
    expect(JSON.parse(run.stdout)).toEqual([
      { address: formatAddress(target.malloc + 16n), module: 'libc.so.6', offset, symbol: 'malloc', symbolOffset: '0x10' },
      { address: formatAddress(0x10n), module: null, offset: null, symbol: null, symbolOffset: null },
    ]);
    // The same numbers as the text form of the same addresses.
    const text = memprobe('symbolize', 'malloc+0x10', '--pid', target.pid);
    expect(text.stdout).toBe(`${formatAddress(target.malloc + 16n)}  libc.so.6!malloc+0x10\n`);
  });

  test('--self: the command looks at itself', () => {
    const run = memprobe('symbolize', 'libc.so.6!malloc', '--self');
    expect(run).toEqual({ status: 0, stdout: expect.stringMatching(/^0x[0-9a-f]{12,} {2}libc\.so\.6!malloc\n$/), stderr: '' });
  });

  test('bad usage; a process that does not exist', () => {
    for (const args of [[], ['--self'], ['0x10'], ['no_such_symbol_anywhere_42', '--self'], ['0x10', '--pid', '0']]) expectUsageError(memprobe('symbolize', ...args), 'symbolize');
    expect(memprobe('symbolize', '0x10', '--pid', '2147483646')).toMatchObject({ status: 1, stdout: '', stderr: expect.stringMatching(/^memprobe symbolize: [^\n]*ESRCH[^\n]*\n$/) });
    expect(memprobe('symbolize', 'malloc', '--pid', '2147483646')).toMatchObject({ status: 1, stdout: '', stderr: expect.stringMatching(/^memprobe symbolize: [^\n]*ESRCH[^\n]*\n$/) });
  });
});

describe('address expressions in every address argument', () => {
  test('read: an expression reads the same bytes as the number it stands for', () => {
    const numeric = memprobe('read', hex(target.malloc), '32', '--pid', target.pid);
    expect([numeric.status, numeric.stderr]).toEqual([0, '']);
    expect(numeric.stdout).toBe(hexdump(safeRead(target.malloc, 32, { pid: Number(target.pid) }).data, { offset: target.malloc }));
    for (const expression of ['libc.so.6!malloc', 'malloc', '!malloc', 'libc.so.6 ! malloc', `libc.so.6+${hex(target.malloc - findModule('libc.so.6', { pid: Number(target.pid) })!.base)}`]) {
      expect([expression, memprobe('read', expression, '32', '--pid', target.pid)]).toEqual([expression, numeric]);
    }
    const later = memprobe('read', 'malloc + 0x10', '16', '--pid', target.pid);
    expect(later).toEqual(memprobe('read', hex(target.malloc + 16n), '16', '--pid', target.pid));
  });

  test("a name that reads as hex is a number; '!' makes it a symbol (libm's fadd)", () => {
    const fadd = findSymbol('fadd', { pid: Number(target.pid) });
    expect(fadd).not.toBeNull();  // libm.so.6 is among node's libraries
    const run = memprobe('symbolize', 'fadd', '!fadd', 'libm.so.6!fadd', '--pid', target.pid, '--json');
    expect(run.status).toBe(0);
    expect((JSON.parse(run.stdout) as Array<{ address: string; module: string | null }>).map(({ address, module }) => [address, module])).toEqual([
      [formatAddress(0xfaddn), null],
      [formatAddress(fadd as bigint), 'libm.so.6'],
      [formatAddress(fadd as bigint), 'libm.so.6'],
    ]);
  });

  test('probe, scan and scan-memory take them too', () => {
    const libc = findModule('libc.so.6', { pid: Number(target.pid) }) as NonNullable<ReturnType<typeof findModule>>;
    expect(memprobe('probe', 'libc.so.6+0x1000', '--pid', target.pid)).toEqual(memprobe('probe', hex(libc.base + 0x1000n), '--pid', target.pid));
    expect(memprobe('probe', 'libc.so.6+0x1000', '--pid', target.pid).stdout).toBe(`${formatAddress(libc.base + 0x1000n)}: readable\n`);
    const window = memprobe('scan', '--start', 'libc.so.6', '--end', 'libc.so.6+0x1000', '--pid', target.pid, '--json');
    expect(JSON.parse(window.stdout)).toEqual([{ start: formatAddress(libc.base), end: formatAddress(libc.base + 0x1000n), size: 4096, mappings: [libc.path] }]);
    const pattern = safeRead(target.malloc, 8, { pid: Number(target.pid) }).data.toString('hex');
    expect(memprobe('scan-memory', pattern, '--start', 'malloc', '--end', 'malloc+8', '--pid', target.pid)).toEqual({ status: 0, stdout: `${formatAddress(target.malloc)}\n`, stderr: '' });
  });

  test('a name that is not there ends the command at once, every time, in its own process too', () => {
    // Looking a missing name up in the command's own process scans every symbol table of node and its libraries,
    // hot code that V8 then optimizes on a background thread. Node 20 could hang at exit there: its main thread
    // waited in NodePlatform::DrainTasks for that job, which waited (V8's CollectionBarrier) for the main thread to
    // collect garbage (nodejs/node#54918). Seen in 1 run in 10 to 30 with output going to files (a script's
    // `2>errors.txt`), before the command learnt to end by _exit once its output is written (lib/cli.ts).
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-cli-'));
    const statuses: Array<number | null> = [];
    try {
      for (let run = 0; run < 30; run++) {
        const out = fs.openSync(path.join(directory, 'out'), 'w');
        const err = fs.openSync(path.join(directory, 'err'), 'w');
        try {
          statuses.push(spawnSync(process.execPath, [CLI, 'symbolize', 'no_such_symbol_anywhere_42', '--self'], { stdio: ['ignore', out, err], timeout: 10_000 }).status);
        } finally {
          fs.closeSync(out);
          fs.closeSync(err);
        }
      }
      expect(fs.readFileSync(path.join(directory, 'err'), 'utf8')).toMatch(/^memprobe symbolize: The address must be an address expression .*\n$/);
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
    expect(statuses).toEqual(Array(30).fill(2));  // null: killed after 10 s, hung at exit
  }, 600_000);

  test('a name that is not there is bad usage, in one line; a process that is not there a failed system call', () => {
    const bad = ['no_such_symbol_anywhere_42', 'libc.so.6!no_such_symbol_anywhere_42', 'no-such-module.so!malloc', 'no-such-module.so+0x10', 'malloc+', '!', 'malloc+zz'];
    for (const expression of bad) {
      const run = memprobe('read', expression, '8', '--pid', target.pid);
      expectUsageError(run, 'read');
      expect([expression, run.stderr]).toEqual([expression, expect.stringContaining(`memprobe read: The address must be an address expression (0x…, decimal, module, symbol, module!symbol, each ±offset). Received '${expression}' (`)]);
    }
    expectUsageError(memprobe('probe', 'no_such_symbol_anywhere_42', '--pid', target.pid), 'probe');
    expectUsageError(memprobe('scan', '--start', 'no-such-module.so', '--pid', target.pid), 'scan');
    expectUsageError(memprobe('scan-memory', '00', '--end', 'no-such-module.so', '--pid', target.pid), 'scan-memory');
    expect(memprobe('read', 'malloc', '8', '--pid', '2147483646')).toMatchObject({ status: 1, stdout: '', stderr: expect.stringMatching(/^memprobe read: [^\n]*ESRCH[^\n]*\n$/) });
  });
});

describe('--symbols', () => {
  test('probe: beside the address, and a symbol field in JSON', () => {
    expect(memprobe('probe', 'malloc', '--pid', target.pid, '--symbols')).toEqual({ status: 0, stdout: `${formatAddress(target.malloc)} (libc.so.6!malloc): readable\n`, stderr: '' });
    expect(JSON.parse(memprobe('probe', 'malloc+1', '--pid', target.pid, '--symbols', '--json').stdout)).toEqual({ address: formatAddress(target.malloc + 1n), symbol: 'libc.so.6!malloc+0x1', state: 'readable' });
    expect(JSON.parse(memprobe('probe', '0x10', '8', '--pid', target.pid, '--symbols', '--json').stdout)).toEqual({
      address: formatAddress(0x10n), symbol: null, length: 8, readable: false, firstUnreadable: { address: formatAddress(0x10n), symbol: null, state: 'unmapped' },
    });
    expect(memprobe('probe', '0x10', '--pid', target.pid, '--symbols').stdout).toBe(`${formatAddress(0x10n)} (?): unmapped\n`);
  });

  test('scan-memory: each match with where it falls, NDJSON with a symbol field', () => {
    const pattern = safeRead(target.malloc, 8, { pid: Number(target.pid) }).data.toString('hex');
    const window = ['--start', 'malloc', '--end', 'malloc+8', '--pid', target.pid, '--symbols'];
    expect(memprobe('scan-memory', pattern, ...window)).toEqual({ status: 0, stdout: `${formatAddress(target.malloc)}  libc.so.6!malloc\n`, stderr: '' });
    expect(memprobe('scan-memory', pattern, ...window, '--json').stdout).toBe(`${JSON.stringify({ address: formatAddress(target.malloc), symbol: 'libc.so.6!malloc' })}\n`);
    const heap = ['--start', String(target.text), '--end', String(target.text + BigInt(TEXT.length)), '--pid', target.pid, '--symbols'];
    const marker = Buffer.from(TEXT, 'latin1').subarray(0, 8).toString('hex');
    expect(memprobe('scan-memory', marker, ...heap)).toEqual({ status: 0, stdout: `${formatAddress(target.text)}  ?\n`, stderr: '' });
    expect(memprobe('scan-memory', marker, ...heap, '--json').stdout).toBe(`${JSON.stringify({ address: formatAddress(target.text), symbol: null })}\n`);
  });

  test("scan: a SYMBOL column for each range's start, a symbol field in JSON", () => {
    const libc = findModule('libc.so.6', { pid: Number(target.pid) }) as NonNullable<ReturnType<typeof findModule>>;
    const window = ['--start', 'malloc', '--end', 'malloc+0x10', '--pid', target.pid, '--symbols'];
    const table = memprobe('scan', ...window);
    expect(table.stdout.split('\n')).toEqual([
      expect.stringMatching(/^START +END +SIZE +SYMBOL +MAPPING$/),
      expect.stringMatching(new RegExp(`^${formatAddress(target.malloc)} +${formatAddress(target.malloc + 16n)} +16 B +libc\\.so\\.6!malloc +${libc.path.replace(/[.+]/g, '\\$&')}$`)),
      '',
    ]);
    expect(JSON.parse(memprobe('scan', ...window, '--json').stdout)).toEqual([
      { start: formatAddress(target.malloc), end: formatAddress(target.malloc + 16n), symbol: 'libc.so.6!malloc', size: 16, mappings: [libc.path] },
    ]);
  });

  test('read: a line naming the address before the bytes; a symbol field in JSON; the fault named too', () => {
    const bytes = safeRead(target.malloc, 16, { pid: Number(target.pid) }).data;
    expect(memprobe('read', 'malloc', '16', '--pid', target.pid, '--symbols')).toEqual({
      status: 0,
      stdout: `${formatAddress(target.malloc)} (libc.so.6!malloc)\n${hexdump(bytes, { offset: target.malloc })}`,
      stderr: '',
    });
    expect(JSON.parse(memprobe('read', 'malloc', '16', '--pid', target.pid, '--symbols', '--json').stdout)).toEqual({
      address: formatAddress(target.malloc), symbol: 'libc.so.6!malloc', length: 16, bytesRead: 16, data: bytes.toString('hex'), fault: null,
    });
    const fault = memprobe('read', '0x10', '8', '--pid', target.pid, '--symbols');
    expect(fault).toEqual({ status: 1, stdout: `${formatAddress(0x10n)} (?)\n`, stderr: `memprobe read: EFAULT at ${formatAddress(0x10n)} (?) after 0 of 8 bytes\n` });
  });

  test('fuzz: beside each mismatch', () => {
    // A mismatch cannot be made to happen; the report's text is checked with one placed at malloc in this process.
    const malloc = findSymbol('malloc') as bigint;
    const outcomes = Object.fromEntries(OUTCOMES.map((outcome) => [outcome, outcome === 'readable' ? 1 : 0])) as FuzzReport['outcomes'];
    const mismatch: FuzzMismatch = {
      address: malloc, length: 8, strategy: 'signal', api: 'safeRead', kind: 'inside',
      copy: { bytesCopied: 0, code: 'SEGV_MAPERR', faultAddress: malloc }, maps: { minBytes: 8, maxBytes: 8, verdict: null }, reason: 'copy stopped short',
    };
    const report: FuzzReport = {
      iterations: 1, requested: 1, seed: 1, threads: 1, lengths: [8, 8], aborted: false, outcomes, samples: [], mismatches: [mismatch],
      mismatchCount: 1, rechecked: 0, unstable: 0, durationMs: 1, probesPerSecond: 1, layoutMappings: 1, digests: [],
    };
    expect(describeFuzz(report, true)).toContain(`\n  ${formatAddress(malloc)} (libc.so.6!malloc) +8 safeRead signal: copy stopped short`);
    expect(describeFuzz(report, false)).toContain(`\n  ${formatAddress(malloc)} +8 safeRead signal: copy stopped short`);
    const run = memprobe('fuzz', '--iterations', '2000', '--seed', '1', '--symbols', '--json');
    expect(run).toMatchObject({ status: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toMatchObject({ iterations: 2000, mismatchCount: 0, mismatches: [] });
  });
});

describe('read --follow', () => {
  test('a pointer, then 8 bytes where it points, in xxd layout; with --symbols where each lies', () => {
    const pointers = safeRead(target.pointers, 24, { pid: Number(target.pid) }).data;
    const text = Buffer.from(TEXT, 'latin1').subarray(0, 8);
    expect(memprobe('read', String(target.pointers), '8', '--follow', '--pid', target.pid)).toEqual({
      status: 0,
      stdout: `${hexdump(pointers.subarray(0, 8), { offset: target.pointers })}-> ${formatAddress(target.text)}\n${hexdump(text, { offset: target.text })}`,
      stderr: '',
    });
    const code = safeRead(target.malloc, 8, { pid: Number(target.pid) }).data;
    expect(memprobe('read', String(target.pointers + 8n), '8', '--follow', '--symbols', '--pid', target.pid)).toEqual({
      status: 0,
      stdout: `${formatAddress(target.pointers + 8n)} (?)\n${hexdump(pointers.subarray(8, 16), { offset: target.pointers + 8n })}` +
        `-> ${formatAddress(target.malloc)} (libc.so.6!malloc)\n${hexdump(code, { offset: target.malloc })}`,
      stderr: '',
    });
    expect(JSON.parse(memprobe('read', String(target.pointers + 8n), '8', '--follow', '--symbols', '--json', '--pid', target.pid).stdout)).toEqual({
      address: formatAddress(target.pointers + 8n), symbol: null, length: 8, bytesRead: 8, data: pointers.subarray(8, 16).toString('hex'), fault: null,
      follow: { address: formatAddress(target.malloc), symbol: 'libc.so.6!malloc', bytesRead: 8, data: code.toString('hex'), fault: null },
    });
  });

  test('a NULL pointer is a fault (exit 1); a read that is not pointer-sized is bad usage', () => {
    const at = target.pointers + 16n;
    const run = memprobe('read', String(at), '8', '--follow', '--pid', target.pid);
    expect(run).toEqual({
      status: 1,
      stdout: `${hexdump(Buffer.alloc(8), { offset: at })}-> ${formatAddress(0n)}\n`,
      stderr: `memprobe read: EFAULT at ${formatAddress(0n)} after 0 of 8 bytes (following the pointer at ${formatAddress(at)})\n`,
    });
    const json = JSON.parse(memprobe('read', String(at), '8', '--follow', '--json', '--pid', target.pid).stdout);
    expect(json.follow).toMatchObject({ address: formatAddress(0n), bytesRead: 0, data: '', fault: { code: 'EFAULT', address: formatAddress(0n) } });
    // The pointer itself unreadable: nothing to follow.
    expect(JSON.parse(memprobe('read', '0x10', '8', '--follow', '--json', '--pid', target.pid).stdout)).toMatchObject({ bytesRead: 0, follow: null });
    expectUsageError(memprobe('read', String(target.pointers), '16', '--follow', '--pid', target.pid), 'read');
  });
});

test('the usage names the address expressions; each new command has help with examples', () => {
  const help = memprobe('--help');
  expect(help.stdout).toMatch(/^ {2}modules +the ELF objects/m);
  expect(help.stdout).toMatch(/^ {2}symbolize +the module and symbol/m);
  expect(help.stdout.replace(/\s+/g, ' ')).toContain("'libc.so.6!malloc+8', malloc; !name for a symbol whose name looks like hex.");
  for (const name of ['modules', 'symbolize']) {
    const own = memprobe(name, '--help');
    expect([name, own.status, own.stderr]).toEqual([name, 0, '']);
    expect(own.stdout).toMatch(new RegExp(`^usage: memprobe ${name} [^\\n]*\\n[^]*\\nexamples:\\n( {2}\\$ memprobe ${name} .*\\n)+$`));
  }
});
