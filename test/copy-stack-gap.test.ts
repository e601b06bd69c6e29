// The gap below [stack]: no copy may grow the stack, however the addon was loaded and however the own
// process is named. Each scenario runs in a fresh process, since the gap is read once when the addon loads.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import nodeGypBuild = require('node-gyp-build');

import { commandFor, PACKAGE_ROOT, spawnNodeSync } from './helpers/child';

const ADDON = nodeGypBuild.resolve(PACKAGE_ROOT);  // the addon the package loads (build/Release, or where MEMPROBE_PREBUILD points)

// Shared by the child scripts: the [stack] line, matched on its pathname field.
const STACK_START = `
const fs = require('node:fs');
function stackStart() {
  const line = fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').find((l) => l.split(/ +/)[5] === '[stack]');
  return BigInt('0x' + line.split('-')[0]);
}`;

interface GapOutcome {
  crafted: boolean;
  faultKind: string | null;
  grew: boolean;
}

// Loads the addon (a copy of it at `copyTo`, when given) with process.dlopen and nothing else, then reads
// 16 KiB below [stack] with plain loads (the signal strategy), which would grow the stack if the gap were not
// known. With `copyTo`, also reports whether the addon's maps line came out as crafted: longer than 512 bytes,
// its first 511 characters ending just before the file name, so that a reader with a 512-byte line buffer sees
// the name alone as a line.
function gapOutcome(copyTo?: string): GapOutcome {
  const script = `${STACK_START}
const [addon, copyTo] = process.argv.slice(1);
let file = addon;
if (copyTo) {
  fs.mkdirSync(require('node:path').dirname(copyTo), { recursive: true });
  fs.copyFileSync(addon, copyTo);
  file = copyTo;
}
const module = { exports: {} };
process.dlopen(module, file);
const binding = module.exports;
const line = fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').find((l) => l.endsWith(file));
const start = stackStart();
const read = binding.selector.view * binding.selector.dst + binding.selector.address;
const status = binding.copiers[read](Buffer.alloc(8), start - 16384n, 8);
const slots = new Float64Array(binding.faultState);
console.log(JSON.stringify({
  crafted: line.length > 512 && line.slice(511) === require('node:path').basename(file),
  faultKind: status === binding.copyStatus.fault ? binding.faultKinds[slots[binding.faultSlots.kind]] : null,
  grew: stackStart() !== start,
}));`;
  const run = spawnNodeSync(['-e', script, ADDON, ...(copyTo ? [copyTo] : [])], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout) as GapOutcome;
}

/** The column where the pathname starts on a maps line (the kernel pads the fields before it). */
function pathnameColumn(): number {
  const line = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').find((l) => l.includes(' /'));
  if (line === undefined) throw new Error('no file mapping in /proc/self/maps');
  return line.indexOf(' /') + 1;
}

describe('the [stack] line of /proc/self/maps', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-[stack]-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('an addon loaded from a long path that contains "[stack]" still finds the real stack', () => {
    // The addon's file is named like a whole maps line for [stack], and its folder is padded so that the
    // name starts at character 511 of its maps line.
    const name = '1000-2000 rw-p 00000000 00:00 0 [stack]';
    let folder = dir;
    const folderLength = 511 - pathnameColumn() - 1;
    while (folder.length < folderLength) folder = path.join(folder, 'x'.repeat(Math.min(200, folderLength - folder.length - 1)));
    expect(folder.length).toBe(folderLength);

    const expected: GapOutcome = { crafted: false, faultKind: 'SEGV_MAPERR', grew: false };
    expect(gapOutcome()).toEqual(expected);  // the addon where it was built
    expect(gapOutcome(path.join(folder, name))).toEqual({ ...expected, crafted: true });
  });
});

describe('{ pid } naming this process', () => {
  test('reads through process_vm_readv never ask the kernel for the gap below [stack], by pid or by thread id', () => {
    const script = `${STACK_START}
const start = stackStart();
const thread = fs.readdirSync('/proc/self/task').map(Number).find((tid) => tid !== process.pid);
const outcomes = [];
for (const pid of [process.pid, thread]) {
  for (const [address, length] of [[start - 16384n, 64], [start - 100n, 200], [start - 4096n, 8192]]) {
    const { ok, bytesCopied, fault } = memprobe.safeRead(address, length, { pid });
    outcomes.push({ ok, bytesCopied, code: fault && fault.code, at: fault && String(fault.address - start) });
  }
}
console.log(JSON.stringify({ start: String(start), outcomes, stack: memprobe.safeRead(start, 64, { pid: thread }).ok }));`;
    const trace = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-trace-')), 'trace');
    try {
      const prelude = `const memprobe = require(${JSON.stringify(PACKAGE_ROOT)});\n`;
      const run = spawnSync('strace', ['-f', '-e', 'trace=process_vm_readv', '-o', trace, ...commandFor(process.execPath, ['-e', prelude + script]).flat()], { encoding: 'utf8' });
      expect(run.status).toBe(0);
      const report = JSON.parse(run.stdout) as { start: string; outcomes: unknown[]; stack: boolean };
      // Every read that reaches into the gap stops at its first byte there, as without a pid.
      const stopped = (at: number) => ({ ok: false, bytesCopied: 0, code: 'EFAULT', at: String(at) });
      expect(report.outcomes).toEqual([stopped(-16384), stopped(-100), stopped(-4096), stopped(-16384), stopped(-100), stopped(-4096)]);
      expect(report.stack).toBe(true);

      // The remote side is the second iovec of each call; none of them may start in the 16 KiB below [stack].
      const start = BigInt(report.start);
      const calls = fs.readFileSync(trace, 'utf8').split('\n').filter((l) => l.includes('process_vm_readv('));
      const remotes = calls.map((l) => BigInt([...l.matchAll(/iov_base=(0x[0-9a-f]+)/g)].at(-1)![1]));
      expect(remotes).toContain(start);  // the trace did see the reads
      expect(remotes.filter((address) => address < start && address >= start - 16384n)).toEqual([]);
    } finally {
      fs.rmSync(path.dirname(trace), { recursive: true, force: true });
    }
  });
});
