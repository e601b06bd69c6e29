// memprobe fuzz, scan, probe, read, maps, --help and --version, run as a user would: node dist/cli.js (built by npm
// test). Another process's memory comes from a child that tells where its bytes are.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { PACKAGE_ROOT, spawnNode, spawnNodeSync } from './helpers/child';

const CLI = path.join(PACKAGE_ROOT, 'dist', 'cli.js');
const VERSION = (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function memprobe(...args: string[]): Run {
  const run = spawnNodeSync([CLI, ...args], { encoding: 'latin1', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function expectUsageError(run: Run): void {
  expect(run.status).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(/^memprobe[^\n]*\(usage: memprobe [^\n]*\)\n$/);  // one line, no stack trace
}

/** A process holding known bytes at a known address, then a readable page followed by an unmapped one. */
let child: ChildProcess;
let target: { pid: number; bytes: bigint; length: number; edge: bigint };
const TEXT = 'memprobe read --pid: bytes from another process \u0000\u0001\u00ff';

beforeAll(async () => {
  child = spawnNode(['-e', `
    const memprobe = require(${JSON.stringify(PACKAGE_ROOT)});
    const bytes = Buffer.from(${JSON.stringify(TEXT)}, 'latin1');
    const pages = memprobe.mapPages(2);
    memprobe.safeMemcpy(pages.address, Buffer.alloc(memprobe.pageSize, 0x41), memprobe.pageSize);
    pages.unmap(memprobe.pageSize, memprobe.pageSize);
    globalThis.keep = [bytes, pages];
    console.log(JSON.stringify({ bytes: memprobe.addressOf(bytes).toString(), length: bytes.length, edge: (pages.address + BigInt(memprobe.pageSize)).toString() }));
    setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve) => child.stdout?.once('data', (data: Buffer) => resolve(data.toString())));
  const told = JSON.parse(line) as { bytes: string; length: number; edge: string };
  target = { pid: child.pid as number, bytes: BigInt(told.bytes), length: told.length, edge: BigInt(told.edge) };
});
afterAll(() => child.kill());

describe('fuzz', () => {
  test('a short run: the report as text, as JSON, exit 0, nothing on stderr when piped', () => {
    const text = memprobe('fuzz', '--iterations', '4000', '--seed', '77');
    expect(text).toMatchObject({ status: 0, stderr: '' });
    expect(text.stdout).toMatch(/^memprobe fuzz: 4,000 cases, seed 77, 1 thread, lengths 0 to \d+ bytes\n/);
    expect(text.stdout).toMatch(/^OUTCOME +CASES +SHARE$/m);
    expect(text.stdout).toMatch(/^SEGV_MAPERR +[\d,]+ +[\d.]+%$/m);
    expect(text.stdout).toMatch(/^mismatches with \/proc\/self\/maps: 0 /m);
    expect(text.stdout).toMatch(/ probes\/s\n$/);
    const json = memprobe('fuzz', '--iterations', '4000', '--seed', '0x4d', '--threads', '2', '--json');
    expect(json).toMatchObject({ status: 0, stderr: '' });
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ iterations: 4000, seed: 77, threads: 2, mismatchCount: 0, mismatches: [], aborted: false });
    expect(Object.values(report.outcomes as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(4000);
  });

  test('Ctrl-C (SIGINT) stops it early with the partial report', async () => {
    const run = spawnNode([CLI, 'fuzz', '--iterations', '50000000', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    run.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    // Interrupt once it is surely fuzzing, whatever the machine's load: after 0.5 s of its own CPU time (it starts
    // in well under 0.2 s), not after a fixed wall-clock wait.
    const cpuTicks = (): number => {
      const fields = fs.readFileSync(`/proc/${run.pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      return Number(fields[11]) + Number(fields[12]);  // utime + stime, in clock ticks (100 a second)
    };
    for (const deadline = Date.now() + 30_000; cpuTicks() < 50 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 20));
    run.kill('SIGINT');
    const status = await new Promise<number | null>((resolve) => run.once('exit', resolve));
    expect(status).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.aborted).toBe(true);
    expect(report.iterations).toBeGreaterThan(0);
    expect(report.iterations).toBeLessThan(50_000_000);
  });

  test('the default run finishes in seconds', () => {
    const run = memprobe('fuzz', '--json');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ iterations: 100_000, mismatchCount: 0 });
  });

  test('bad usage', () => {
    for (const args of [['--iterations', 'x'], ['--seed', '-1'], ['--seed', '4294967296'], ['--threads', '0'], ['--threads', '65'], ['--bogus'], ['extra']]) {
      expectUsageError(memprobe('fuzz', ...args));
    }
  });
});

describe('scan', () => {
  test('ranges with the mappings beside them, as a table and as JSON', () => {
    const table = memprobe('scan', '--self');
    expect(table).toMatchObject({ status: 0, stderr: '' });
    expect(table.stdout).toMatch(/^START +END +SIZE +MAPPING\n/);
    expect(table.stdout).toMatch(/^0x[0-9a-f]{12,} +0x[0-9a-f]{12,} +[\d.]+ (B|KiB|MiB|GiB) +.*\[stack\]/m);
    const json = JSON.parse(memprobe('scan', '--self', '--json').stdout) as Array<{ start: string; end: string; size: number; mappings: string[] }>;
    expect(json.length).toBeGreaterThan(3);
    for (const range of json) {
      expect(range.start).toMatch(/^0x[0-9a-f]{12,}$/);
      expect(BigInt(range.end) - BigInt(range.start)).toBe(BigInt(range.size));
      expect(range.mappings.length).toBeGreaterThan(0);
    }
    expect(json.some((range) => range.mappings.includes(process.execPath) || range.mappings.some((name) => name.endsWith('/node')))).toBe(true);
  });

  test('a window, and another process', () => {
    const window = JSON.parse(memprobe('scan', '--start', String(target.edge - 4096n), '--end', `0x${(target.edge + 4096n).toString(16)}`, '--pid', String(target.pid), '--json').stdout);
    expect(window).toEqual([{ start: `0x${(target.edge - 4096n).toString(16).padStart(12, '0')}`, end: `0x${target.edge.toString(16).padStart(12, '0')}`, size: 4096, mappings: ['[anonymous]'] }]);
    const whole = memprobe('scan', '--pid', String(target.pid));
    expect(whole.status).toBe(0);
    expect(whole.stdout).toMatch(/\[heap\]|\[stack\]/);
  });

  test('bad usage; a process that does not exist', () => {
    for (const args of [['--start', '0x10', '--end', '0x5'], ['--start', 'zz'], ['--end', '0x10000000000000000']]) expectUsageError(memprobe('scan', '--self', ...args));
    for (const args of [['--pid', 'x'], ['--pid', '0'], [], ['--self', '--pid', '1']]) expectUsageError(memprobe('scan', ...args));
    const gone = memprobe('scan', '--pid', '2147483646');
    expect(gone.status).toBe(1);
    expect(gone.stderr).toMatch(/^memprobe scan: process_vm_readv failed for pid 2147483646: ESRCH/);
  });
});

describe('probe', () => {
  test('a state per address, exit 0 whatever it is', () => {
    expect(memprobe('probe', '0', '--self')).toEqual({ status: 0, stdout: '0x000000000000: unmapped\n', stderr: '' });
    expect(memprobe('probe', '0x800000000000', '--self')).toMatchObject({ status: 0, stdout: '0x800000000000: noncanonical\n' });
    expect(memprobe('probe', '18446603336221196288', '--self')).toMatchObject({ status: 0, stdout: '0xffff800000000000: unmapped\n' });
    expect(JSON.parse(memprobe('probe', '0x10', '--self', '--json').stdout)).toEqual({ address: '0x000000000010', state: 'unmapped' });
    expect(JSON.parse(memprobe('probe', '0x10', '64', '--self', '--json').stdout)).toEqual({ address: '0x000000000010', length: 64, readable: false, firstUnreadable: { address: '0x000000000010', state: 'unmapped' } });
    expect(memprobe('probe', '0', '0', '--self')).toMatchObject({ status: 0, stdout: '0x000000000000 +0: readable\n' });
  });

  test('bad usage', () => {
    for (const args of [[], ['x'], ['-1'], ['0x10000000000000000'], ['0', '1', '2'], ['0xffffffffffffffff', '2']]) expectUsageError(memprobe('probe', ...args, '--self'));
    expectUsageError(memprobe('probe', '0x10'));
  });
});

describe('read', () => {
  test("another process's bytes in xxd's layout", () => {
    const expected = execFileSync('xxd', ['-o', String(target.bytes)], { input: Buffer.from(TEXT, 'latin1'), encoding: 'latin1' });
    const run = memprobe('read', `0x${target.bytes.toString(16)}`, String(target.length), '--pid', String(target.pid));
    expect(run).toEqual({ status: 0, stdout: expected, stderr: '' });
    const json = JSON.parse(memprobe('read', String(target.bytes), String(target.length), '--pid', String(target.pid), '--json').stdout);
    expect(json).toEqual({ address: `0x${target.bytes.toString(16).padStart(12, '0')}`, length: target.length, bytesRead: target.length, data: Buffer.from(TEXT, 'latin1').toString('hex'), fault: null });
  });

  test('a fault: the readable prefix on stdout, the fault on stderr, exit 1', () => {
    const start = target.edge - 20n;
    const run = memprobe('read', String(start), '64', '--pid', String(target.pid));
    expect(run.status).toBe(1);
    expect(run.stdout).toBe(execFileSync('xxd', ['-o', String(start)], { input: Buffer.alloc(20, 0x41), encoding: 'latin1' }));
    expect(run.stderr).toBe(`memprobe read: EFAULT at 0x${target.edge.toString(16).padStart(12, '0')} after 20 of 64 bytes\n`);
    const json = memprobe('read', String(start), '64', '--pid', String(target.pid), '--json');
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ bytesRead: 20, data: '41'.repeat(20), fault: { code: 'EFAULT', address: `0x${target.edge.toString(16).padStart(12, '0')}`, signal: null, access: 'read' } });
    // In its own process: the signal strategy's code.
    expect(memprobe('read', '0', '16', '--self')).toEqual({ status: 1, stdout: '', stderr: 'memprobe read: SEGV_MAPERR at 0x000000000000 after 0 of 16 bytes\n' });
  });

  test('bad usage; a process that does not exist', () => {
    for (const args of [[], ['0'], ['0', 'x'], ['0', '-5'], ['x', '5'], ['0xffffffffffffffff', '2'], ['0', '2000000000']]) expectUsageError(memprobe('read', ...args, '--self'));
    expectUsageError(memprobe('read', '0', '5', '--pid', 'nope'));
    expect(memprobe('read', '0', '8', '--pid', '2147483646')).toMatchObject({ status: 1, stderr: expect.stringMatching(/ESRCH/) });
  });
});

describe('maps', () => {
  test('another process, as a table and as JSON', async () => {
    // sleep's maps do not change while we look (a Node process's do).
    const sleeper = spawn('sleep', ['30']);
    await new Promise((resolve) => sleeper.once('spawn', resolve));
    const pid = String(sleeper.pid);
    // Until the loader is done with it: two reads 50 ms apart that agree.
    let text = fs.readFileSync(`/proc/${pid}/maps`, 'utf8');
    for (let previous = ''; text !== previous; text = fs.readFileSync(`/proc/${pid}/maps`, 'utf8')) {
      previous = text;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const lines = text.trim().split('\n');
    const json = JSON.parse(memprobe('maps', '--pid', pid, '--json').stdout) as Array<{ start: string; perms: string; offset: string; path: string; inode: number }>;
    expect(json.length).toBe(lines.length);
    json.forEach((entry, i) => {
      expect(BigInt(entry.start)).toBe(BigInt('0x' + lines[i].split('-')[0]));
      expect(entry.perms).toBe(lines[i].split(' ')[1]);
      // The file offset unpadded (0x1000), as offsets are everywhere; the addresses padded.
      expect(entry.offset).toBe(`0x${BigInt('0x' + lines[i].split(' ')[2]).toString(16)}`);
    });
    const table = memprobe('maps', '--pid', pid);
    sleeper.kill();
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^START +END +PERMS +SIZE +OFFSET +DEVICE +INODE +PATH\n/);
    expect(table.stdout.trim().split('\n')).toHaveLength(lines.length + 1);
    expect(table.stdout).toMatch(/ \/(usr\/)?bin\/sleep\n/);
    expect(memprobe('maps', '--self').stdout).toMatch(/\[stack\]\n/);
  });

  test('bad usage; a process that does not exist', () => {
    expectUsageError(memprobe('maps', '--pid', '-1'));
    expectUsageError(memprobe('maps', 'extra'));
    expect(memprobe('maps', '--pid', '2147483646')).toMatchObject({ status: 1, stdout: '', stderr: 'memprobe maps: process_vm_readv failed for pid 2147483646: ESRCH (No such process). No process or thread has this id, or it has exited and is not yet reaped (a zombie, with no memory left to read).\n' });
  });
});

test('--help on every command, memprobe --help, --version; an unknown command', () => {
  const help = memprobe('--help');
  expect(help.status).toBe(0);
  for (const name of ['fuzz', 'scan', 'probe', 'read', 'maps', 'threads', 'masking-demo']) {
    expect(help.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    const own = memprobe(name, '--help');
    expect([name, own.status, own.stderr]).toEqual([name, 0, '']);
    expect(own.stdout).toMatch(new RegExp(`^usage: memprobe ${name}`));
  }
  expect(memprobe('--version')).toEqual({ status: 0, stdout: `${VERSION}\n`, stderr: '' });
  expectUsageError(memprobe('no-such-command'));
});
