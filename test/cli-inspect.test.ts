// memprobe scan-memory, run as a user would (node dist/cli.js, built by npm test), on another process that holds
// known bytes; and memprobe read's colors on a terminal.
import { type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';

import { addressOf, formatAddress, hexdump } from '../lib';
import { main } from '../lib/cli/main';
import { PACKAGE_ROOT, spawnNode, spawnNodeSync } from './helpers/child';

const CLI = path.join(PACKAGE_ROOT, 'dist', 'cli.js');

function memprobe(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnNodeSync([CLI, ...args], { encoding: 'latin1', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

// Three copies of a marker in one buffer of another process, the second one with a different third byte.
let child: ChildProcess;
let target: { pid: number; address: bigint };
const MARKER = 'a7 5c 19 e3 0b 6d';

beforeAll(async () => {
  child = spawnNode(['-e', `
    const memprobe = require(${JSON.stringify(PACKAGE_ROOT)});
    const marker = [0xa7, 0x5c, 0x19, 0xe3, 0x0b, 0x6d];
    const bytes = Buffer.alloc(64);
    bytes.set(marker, 0);
    bytes.set(marker, 20);
    bytes[22] = 0x99;
    bytes.set(marker, 58);
    globalThis.keep = bytes;
    console.log(memprobe.addressOf(bytes).toString());
    setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve) => child.stdout?.once('data', (data: Buffer) => resolve(data.toString())));
  target = { pid: child.pid as number, address: BigInt(line.trim()) };
});
afterAll(() => child.kill());

test('scan-memory: the addresses in another process, one a line or as JSON, in a window, with a limit', () => {
  const { pid, address } = target;
  const window = ['--pid', String(pid), '--start', String(address), '--end', `0x${(address + 64n).toString(16)}`];
  const at = (offset: number) => formatAddress(address + BigInt(offset));
  expect(memprobe('scan-memory', MARKER, ...window)).toEqual({ status: 0, stdout: `${at(0)}\n${at(58)}\n`, stderr: '' });
  expect(memprobe('scan-memory', 'a75c??e30b6d', ...window, '--json')).toEqual({ status: 0, stdout: [at(0), at(20), at(58)].map((address) => `${JSON.stringify({ address })}\n`).join(''), stderr: '' });
  expect(memprobe('scan-memory', 'a75c??e30b6d', ...window, '--count')).toEqual({ status: 0, stdout: '3\n', stderr: '' });
  expect(memprobe('scan-memory', 'a75c??e30b6d', ...window, '--count', '--json')).toEqual({ status: 0, stdout: '{"count":3}\n', stderr: '' });
  expect(memprobe('scan-memory', 'a7 5c ?? e3 0b 6d', ...window, '--limit', '2').stdout).toBe(`${at(0)}\n${at(20)}\n`);
  // The whole of the other process: every copy of the pattern, ours among them.
  const whole = memprobe('scan-memory', 'a7 5c ?9 e3 0b 6d', '--pid', String(pid));
  expect(whole.status).toBe(0);
  expect(whole.stdout.split('\n')).toEqual(expect.arrayContaining([at(0), at(58)]));
  expect(memprobe('scan-memory', MARKER, '--self', '--start', '0', '--end', '0x1000')).toEqual({ status: 0, stdout: '', stderr: '' });
});

test('scan-memory: bad usage exits 2 with one line that says where the pattern is wrong; a missing process 1', () => {
  const bad = memprobe('scan-memory', '13 ? 37', '--self');
  expect(bad).toEqual({
    status: 2,
    stdout: '',
    stderr: "memprobe scan-memory: bad pattern '13 ? 37' (at character 4: '?' is half a byte; a byte is two characters ('4?', '??')) (usage: memprobe scan-memory <pattern> (--pid N | --self) [--start A] [--end A] [--limit N] [--count] [--symbols] [--json] [--quiet])\n",
  });
  for (const args of [['--self'], ['??', '--self'], ['41', 'extra', '--self'], ['41', '--start', '0x20', '--end', '0x10', '--self'], ['41', '--limit', '-1', '--self'], ['41', '--pid', 'x'], ['41', '--bogus', '--self'], ['41']]) {
    const run = memprobe('scan-memory', ...args);
    expect([args, run.status, run.stdout]).toEqual([args, 2, '']);
    expect(run.stderr).toMatch(/^memprobe scan-memory: [^\n]*\(usage: memprobe scan-memory [^\n]*\)\n$/);
  }
  expect(memprobe('scan-memory', '41', '--pid', '2147483646')).toMatchObject({ status: 1, stderr: expect.stringMatching(/^memprobe scan-memory: .*ESRCH/) });
  const help = memprobe('scan-memory', '--help');
  expect(help).toMatchObject({ status: 0, stderr: '' });
  expect(help.stdout).toMatch(/^usage: memprobe scan-memory <pattern>/);
  expect(memprobe('--help').stdout).toMatch(/^ {2}scan-memory +addresses of a byte pattern/m);
});

describe('read on a terminal', () => {
  async function read(terminal: boolean, noColor?: string): Promise<string> {
    const out = Object.assign(new PassThrough(), { isTTY: terminal });
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    const saved = process.env.NO_COLOR;
    const savedForce = process.env.FORCE_COLOR;  // a test runner may set it for its workers; it would win
    delete process.env.FORCE_COLOR;
    if (noColor === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = noColor;
    try {
      const bytes = Buffer.from('colors\0\xff\n', 'latin1');
      const address = addressOf(bytes);
      expect(await main(['read', String(address), String(bytes.length), '--self'], out, new PassThrough())).toBe(0);
      return text === hexdump(bytes, { offset: address, ansi: true }) ? 'colored' : text === hexdump(bytes, { offset: address }) ? 'plain' : text;
    } finally {
      if (saved === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = saved;
      if (savedForce !== undefined) process.env.FORCE_COLOR = savedForce;
    }
  }

  test('colored as xxd -R auto colors: on a terminal, unless NO_COLOR is set', async () => {
    expect(await read(true)).toBe('colored');
    expect(await read(true, '')).toBe('colored');
    expect(await read(true, '1')).toBe('plain');
    expect(await read(false)).toBe('plain');
  });
});
