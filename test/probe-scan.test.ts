// The whole-space scan against /proc/self/maps, another process's scan against its maps, and readMaps of this and
// another process, odd paths included.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { pageSize, probeMany, ProbeCode, readMaps, safeRead, scanReadable, SystemError, type MapEntry, type Range } from '../lib';
import { parseMaps } from '../lib/probe/probe';
import { PACKAGE_ROOT, runChild } from './helpers/child';

const USER_END = 1n << 47n;
const isVvar = (entry: MapEntry): boolean => entry.path.startsWith('[vvar');

/** Merged [start, end) ranges of the entries `keep` selects, within the user half. */
function rangesOf(entries: readonly MapEntry[], keep: (entry: MapEntry) => boolean): Range[] {
  const ranges: Range[] = [];
  for (const entry of entries) {
    if (!keep(entry) || entry.start >= USER_END) continue;
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last.end === entry.start) last.end = entry.end;
    else ranges.push({ start: entry.start, end: entry.end });
  }
  return ranges;
}

/** `ranges` with the parts inside `holes` cut out. */
function without(ranges: readonly Range[], holes: readonly Range[]): Range[] {
  let result = [...ranges];
  for (const hole of holes) {
    result = result.flatMap((range) => {
      if (hole.end <= range.start || hole.start >= range.end) return [range];
      return [{ start: range.start, end: hole.start }, { start: hole.end, end: range.end }].filter((piece) => piece.start < piece.end);
    });
  }
  return result;
}

/** Runs `scan` between two reads of the maps until both reads agree (a process may map and unmap while we look). */
function stableScan(readText: () => string, scan: () => Range[]): { entries: MapEntry[]; ranges: Range[] } {
  for (let attempt = 0; attempt < 20; attempt++) {
    const before = readText();
    const ranges = scan();
    if (readText() === before) return { entries: parseMaps(before), ranges };
  }
  throw new Error('the maps kept changing during every scan');
}

/**
 * In a fresh, quiet Node process (a test runner's own process maps and unmaps thousands of V8 pages while it
 * collects garbage): runs `scan` (an expression of `memprobe`) between two reads of its maps until both agree,
 * and returns those maps with what the scan found.
 */
function stableScanInChild(scan: string): { entries: MapEntry[]; ranges: Range[] } {
  const child = runChild(`
    const fs = require('node:fs');
    const hex = (key, value) => (typeof value === 'bigint' ? '0x' + value.toString(16) : value);
    for (let attempt = 0; attempt < 20; attempt++) {
      const before = fs.readFileSync('/proc/self/maps', 'utf8');
      const ranges = ${scan};
      if (fs.readFileSync('/proc/self/maps', 'utf8') === before) {
        console.log(JSON.stringify({ text: before, ranges }, hex));
        process.exit(0);
      }
    }
    console.error('the maps kept changing during every scan');
    process.exit(1);`);
  expect({ status: child.status, stderr: child.stderr }).toEqual({ status: 0, stderr: '' });
  const { text, ranges } = JSON.parse(child.stdout) as { text: string; ranges: Array<{ start: string; end: string }> };
  return { entries: parseMaps(text), ranges: ranges.map((range) => ({ start: BigInt(range.start), end: BigInt(range.end) })) };
}

test('the whole-space scan equals the readable entries of /proc/self/maps, [vvar] pages excepted', () => {
  const { entries, ranges } = stableScanInChild('memprobe.scanReadable()');
  const vvar = rangesOf(entries, isVvar);
  expect(vvar.length).toBeGreaterThan(0);
  // x86: r, and also -w- and --x (no write-only or execute-only pages without protection keys).
  const readable = rangesOf(entries, (entry) => entry.perms.slice(0, 3) !== '---');
  expect(without(ranges, vvar)).toEqual(without(readable, vvar));
  // Inside [vvar], only whole pages, and the ranges stay inside the mapping.
  for (const range of ranges) expect(range.start % BigInt(pageSize) + range.end % BigInt(pageSize)).toBe(0n);
  expect(ranges.every((range) => range.end <= USER_END)).toBe(true);
});

test('scanReadable({ pid: own pid }) reads page by page: the maps\' readable entries, [vvar] excepted (process_vm_readv refuses it)', () => {
  const { entries, ranges } = stableScanInChild('memprobe.scanReadable({ pid: process.pid })');
  // process_vm_readv reads only what the maps list as readable, and never the kernel's [vvar] pages.
  expect(ranges).toEqual(rangesOf(entries, (entry) => entry.perms[0] === 'r' && !isVvar(entry)));
});

describe('another process', () => {
  let child: ChildProcess;
  beforeAll(async () => {
    child = spawn('sleep', ['60']);
    await new Promise((resolve) => child.once('spawn', resolve));
    // Until the loader is done with it: two reads 50 ms apart that agree.
    for (let previous = '', text = '-'; text !== previous; ) {
      previous = text;
      await new Promise((resolve) => setTimeout(resolve, 50));
      text = fs.readFileSync(`/proc/${child.pid}/maps`, 'utf8');
    }
  });
  afterAll(() => child.kill());

  test('its scan equals the readable entries of its maps, [vvar] excepted: those reads fail', () => {
    const pid = child.pid as number;
    const { entries, ranges } = stableScan(() => fs.readFileSync(`/proc/${pid}/maps`, 'utf8'), () => scanReadable({ pid }));
    expect(ranges).toEqual(rangesOf(entries, (entry) => entry.perms[0] === 'r' && !isVvar(entry)));
    const vvar = entries.find(isVvar) as MapEntry;
    expect(safeRead(vvar.start, 8, { pid }).fault?.code).toBe('EFAULT');
  });

  test('probeMany({ pid }): readable only when a read succeeded, listed but unreadable is protected, unlisted unmapped', async () => {
    const pid = child.pid as number;
    const entries = readMaps(pid);
    const readable = entries.find((entry) => entry.perms[0] === 'r' && !isVvar(entry)) as MapEntry;
    const none = entries.find((entry) => entry.perms === '---p');
    const vvar = entries.find(isVvar) as MapEntry;
    const addresses = [readable.start, readable.end - 1n, vvar.start, 0n, 0x10n, 1n << 47n, 0xffff_8000_0000_0000n];
    const expected = [ProbeCode.readable, ProbeCode.readable, ProbeCode.protected, ProbeCode.unmapped, ProbeCode.unmapped, ProbeCode.noncanonical, ProbeCode.unmapped];
    if (none !== undefined) {
      addresses.push(none.start);
      expected.push(ProbeCode.protected);
    }
    // Each verdict agrees with a read of one byte through safeRead({ pid }).
    addresses.forEach((address, i) => {
      if (expected[i] === ProbeCode.readable) expect(safeRead(address, 1, { pid }).ok).toBe(true);
      if (expected[i] === ProbeCode.protected) expect(safeRead(address, 1, { pid }).ok).toBe(false);
    });
    expect(Array.from(probeMany(new BigUint64Array(addresses), { pid }))).toEqual(expected);
    const { probeManyAsync } = await import('../lib');
    expect(Array.from(await probeManyAsync(new BigUint64Array(addresses), { pid }))).toEqual(expected);
  });

  test('a process that is gone: SystemError ESRCH', async () => {
    const gone = spawnSync('true').pid as number;
    expect(() => readMaps(gone)).toThrow(expect.objectContaining({ name: 'SystemError', code: 'ESRCH' }));
    expect(() => scanReadable({ pid: gone })).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(() => probeMany(new BigUint64Array([0n]), { pid: gone })).toThrow(SystemError);
    const { probeManyAsync } = await import('../lib');
    await expect(probeManyAsync(new BigUint64Array([0n]), { pid: gone })).rejects.toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });
});

describe('readMaps', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe maps '));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Each field of each line, split by hand, as readMaps must give it. */
  function fieldsOf(text: string): Array<Omit<MapEntry, 'start' | 'end' | 'offset'> & { range: string; offset: string }> {
    return text.trim().split('\n').map((line) => {
      const [range, perms, offset, device, inode] = line.split(/ +/, 5);
      const path = line.replace(/^\S+ \S+ \S+ \S+ \S+ */, '');
      return { range, perms, offset, device, inode: Number(inode), path };
    });
  }

  function asFields(entries: MapEntry[]): ReturnType<typeof fieldsOf> {
    return entries.map((entry) => ({
      range: `${entry.start.toString(16).padStart(8, '0')}-${entry.end.toString(16).padStart(8, '0')}`,
      perms: entry.perms,
      offset: entry.offset.toString(16).padStart(8, '0'),
      device: entry.device,
      inode: entry.inode,
      path: entry.path,
    }));
  }

  test('of this process: every line, paths with spaces and deleted files included', () => {
    const spaced = path.join(dir, 'a file  with spaces.bin');
    const deleted = path.join(dir, 'gone soon');
    fs.writeFileSync(spaced, Buffer.alloc(pageSize, 1));
    fs.writeFileSync(deleted, Buffer.alloc(pageSize, 2));
    // In a quiet child: the maps of a test runner's process change too often to compare them whole.
    const child = runChild(`
      const fs = require('node:fs');
      const a = memprobe.mapFile(${JSON.stringify(spaced)}, memprobe.pageSize);
      const b = memprobe.mapFile(${JSON.stringify(deleted)}, memprobe.pageSize);
      fs.rmSync(${JSON.stringify(deleted)});
      const hex = (key, value) => (typeof value === 'bigint' ? '0x' + value.toString(16) : value);
      for (let attempt = 0; attempt < 20; attempt++) {
        const text = fs.readFileSync('/proc/self/maps', 'utf8');
        const entries = memprobe.readMaps();
        if (fs.readFileSync('/proc/self/maps', 'utf8') !== text) continue;
        console.log(JSON.stringify({ text, entries, a: a.address, b: b.address }, hex));
        process.exit(0);
      }
      console.error('the maps kept changing');
      process.exit(1);`);
    expect({ status: child.status, stderr: child.stderr }).toEqual({ status: 0, stderr: '' });
    const snapshot = JSON.parse(child.stdout) as { text: string; entries: Array<Record<string, string | number>>; a: string; b: string };
    const entries: MapEntry[] = snapshot.entries.map((entry) => ({
      ...(entry as unknown as MapEntry),
      start: BigInt(entry.start),
      end: BigInt(entry.end),
      offset: BigInt(entry.offset),
    }));
    expect(asFields(entries)).toEqual(fieldsOf(snapshot.text));
    expect(entries.find((entry) => entry.start === BigInt(snapshot.a))?.path).toBe(spaced);
    expect(entries.find((entry) => entry.start === BigInt(snapshot.b))?.path).toBe(`${deleted} (deleted)`);
    expect(entries.some((entry) => entry.path === '')).toBe(true);
    expect(entries.some((entry) => entry.path === '[heap]' || entry.path === '[stack]')).toBe(true);
  });

  test('of another process that maps odd paths, and a named anonymous mapping where the kernel supports it', async () => {
    // python3 (node-gyp's prerequisite) maps files and names an anonymous mapping with prctl(PR_SET_VMA_ANON_NAME).
    const script = `
import ctypes, mmap, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
maps = []
for name in sys.argv[1:3]:
    with open(name, 'rb') as f:
        maps.append(mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ))
os.unlink(sys.argv[2])
anon = libc.mmap(None, 8192, 3, 0x22, -1, 0)
named = libc.prctl(0x53564d41, 0, ctypes.c_ulong(anon), ctypes.c_ulong(8192), ctypes.c_char_p(b'memprobe test name'))
print(hex(anon), named, ctypes.get_errno(), flush=True)
sys.stdin.read()
`;
    const spaced = path.join(dir, 'mapped by  python.bin');
    const deleted = path.join(dir, 'deleted by python');
    fs.writeFileSync(spaced, Buffer.alloc(pageSize, 3));
    fs.writeFileSync(deleted, Buffer.alloc(pageSize, 4));
    const python = spawn('python3', ['-c', script, spaced, deleted], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      let output = '';
      const line = await new Promise<string>((resolve, reject) => {
        python.stdout.on('data', (data: Buffer) => {
          output += data.toString();
          if (output.includes('\n')) resolve(output);
        });
        python.once('exit', (code) => reject(new Error(`python3 exited (${code}) after: ${output}`)));
      });
      const [anon, named, errno] = line.trim().split(' ');
      const text = fs.readFileSync(`/proc/${python.pid}/maps`, 'utf8');
      const entries = readMaps(python.pid);
      expect(asFields(entries)).toEqual(fieldsOf(text));
      expect(entries.filter((entry) => entry.path === spaced)).toHaveLength(1);
      expect(entries.filter((entry) => entry.path === `${deleted} (deleted)`)).toHaveLength(1);
      const anonEntry = entries.find((entry) => entry.start <= BigInt(anon) && BigInt(anon) < entry.end);  // may merge with a neighbour
      if (named === '0') {
        expect(anonEntry?.path).toBe('[anon:memprobe test name]');
      } else {
        // Without CONFIG_ANON_VMA_NAME the kernel refuses (EINVAL) and lists the mapping without a name.
        expect(Number(errno)).toBe(os.constants.errno.EINVAL);
        expect(anonEntry?.path).toBe('');
      }
    } finally {
      python.stdin.end();
      python.kill();
    }
  });

  test('parses the kernel\'s line format: named anonymous mappings, no path, long devices and inodes', () => {
    // Lines as fs/proc/task_mmu.c prints them (the padding before the name included).
    const text = [
      '7f0000000000-7f0000002000 rw-p 00000000 00:00 0                          [anon:memprobe test name]',
      '7f0000002000-7f0000003000 ---p 00000000 00:00 0 ',
      '7f0000003000-7f0000004000 r--s 00001000 103:02 1234567890                 /dev/shm/with  two spaces (deleted)',
      'ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]',
      '',
    ].join('\n');
    expect(parseMaps(text)).toEqual([
      { start: 0x7f0000000000n, end: 0x7f0000002000n, perms: 'rw-p', offset: 0n, device: '00:00', inode: 0, path: '[anon:memprobe test name]' },
      { start: 0x7f0000002000n, end: 0x7f0000003000n, perms: '---p', offset: 0n, device: '00:00', inode: 0, path: '' },
      { start: 0x7f0000003000n, end: 0x7f0000004000n, perms: 'r--s', offset: 0x1000n, device: '103:02', inode: 1234567890, path: '/dev/shm/with  two spaces (deleted)' },
      { start: 0xffffffffff600000n, end: 0xffffffffff601000n, perms: '--xp', offset: 0n, device: '00:00', inode: 0, path: '[vsyscall]' },
    ]);
  });

  test('bad pid', () => {
    expect(() => readMaps(0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => readMaps('1' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

test('the package root exports the probing API', () => {
  const root = require(PACKAGE_ROOT) as Record<string, unknown>;
  for (const name of ['probe', 'isReadable', 'probeMany', 'probeManyAsync', 'ProbeCode', 'scanReadable', 'readMaps', 'fuzz', 'hexdump']) {
    expect([name, typeof root[name]]).toEqual([name, name === 'ProbeCode' ? 'object' : 'function']);
  }
  expect(root.ProbeCode).toEqual({ readable: 0, protected: 1, unmapped: 2, noncanonical: 3 });
});
