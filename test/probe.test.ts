// probe, isReadable, probeMany(+Async) and scanReadable on crafted layouts (rw / r / none / unmapped pages, a
// truncated file, a guard region), the special places (NULL, non-canonical, the kernel half, [vvar], the stack gap),
// and bad input. Every verdict here is checked against what the kernel does, never against memprobe itself.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

import { isReadable, mapFile, mapPages, pageSize, probe, ProbeCode, probeMany, probeManyAsync, safeMemcpy, scanReadable, type PageState } from '../lib';
import { binding } from '../lib/common/native';
import { guardRegionsMissing, stackGapMissing, testNeeding, vvarMissing } from './helpers/capabilities';
import { PACKAGE_ROOT, runChild } from './helpers/child';
import { BETWEEN_HALVES, Layout, type PageKind } from './helpers/layout';
import { buildFixture } from './helpers/native-fixture';

const P = pageSize;
const BP = BigInt(P);
const STATE_OF_KIND: Record<PageKind, PageState> = { rw: 'readable', r: 'readable', none: 'protected', unmapped: 'unmapped' };

function mapsLine(predicate: (line: string) => boolean): string {
  const line = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').find(predicate);
  if (line === undefined) throw new Error('no such line in /proc/self/maps');
  return line;
}

function rangeOf(line: string): [bigint, bigint] {
  const [start, end] = line.split(' ')[0].split('-');
  return [BigInt('0x' + start), BigInt('0x' + end)];
}

describe('on a crafted layout', () => {
  const kinds: PageKind[] = ['rw', 'none', 'rw', 'unmapped', 'r', 'r', 'none', 'unmapped', 'rw'];
  let layout: Layout;
  beforeAll(() => {
    layout = new Layout(kinds);
  });
  afterAll(() => layout.release());

  const pageAt = (index: number, offset = 0): bigint => layout.address + BigInt(index * P + offset);

  test('probe gives each page its state, at its first, middle and last byte', () => {
    kinds.forEach((kind, index) => {
      for (const offset of [0, P >> 1, P - 1]) expect([index, offset, probe(pageAt(index, offset))]).toEqual([index, offset, STATE_OF_KIND[kind]]);
    });
    // The fence pages around the layout are PROT_NONE.
    expect(probe(layout.address - 1n)).toBe('protected');
    expect(probe(pageAt(kinds.length))).toBe('protected');
  });

  test('probe accepts a safe-integer number as well as a bigint', () => {
    expect(probe(Number(pageAt(0)))).toBe('readable');
    expect(probe(Number(pageAt(1)))).toBe('protected');
  });

  test('isReadable is true exactly when every page of the range is readable', () => {
    expect(isReadable(pageAt(0))).toBe(true);
    expect(isReadable(pageAt(0), P)).toBe(true);
    expect(isReadable(pageAt(0, P - 1), 2)).toBe(false);  // into the PROT_NONE page
    expect(isReadable(pageAt(2, 10), P - 10)).toBe(true);
    expect(isReadable(pageAt(2, 10), P - 9)).toBe(false);  // the first byte of the unmapped page
    expect(isReadable(pageAt(4), 2 * P)).toBe(true);  // two read-only pages
    expect(isReadable(pageAt(4), 2 * P + 1)).toBe(false);
    expect(isReadable(pageAt(1))).toBe(false);
    expect(isReadable(pageAt(3), 0)).toBe(true);  // length 0 touches nothing
    expect(isReadable(pageAt(3))).toBe(false);
  });

  test('probeMany gives the same verdicts in one call, in order, for every address of every page', () => {
    const addresses = new BigUint64Array(kinds.length * 3);
    kinds.forEach((_, index) => {
      addresses[index * 3] = pageAt(index);
      addresses[index * 3 + 1] = pageAt(index, 123);
      addresses[index * 3 + 2] = pageAt(index, P - 1);
    });
    // Below and above the snapshot threshold: one load per address, and a map list read once per batch.
    for (const repeat of [1, 20]) {
      const batch = new BigUint64Array(addresses.length * repeat);
      for (let r = 0; r < repeat; r++) batch.set(addresses, r * addresses.length);
      const codes = probeMany(batch);
      expect(codes).toBeInstanceOf(Uint8Array);
      expect(codes.length).toBe(batch.length);
      expect(Array.from(codes, (code, i) => [i % addresses.length, code])).toEqual(
        Array.from(batch, (_, i) => [i % addresses.length, ProbeCode[STATE_OF_KIND[kinds[Math.floor((i % addresses.length) / 3)]]]]),
      );
    }
  });

  test('probeManyAsync gives the same verdicts on the threadpool', async () => {
    const addresses = new BigUint64Array(kinds.map((_, index) => pageAt(index, 7)));
    expect(Array.from(await probeManyAsync(addresses))).toEqual(kinds.map((kind) => ProbeCode[STATE_OF_KIND[kind]]));
    expect(Array.from(await probeManyAsync(new BigUint64Array(0)))).toEqual([]);
  });

  test('probeMany on worker_threads and the threadpool at once gives every caller the same verdicts', async () => {
    const addresses = new BigUint64Array(4000);
    for (let i = 0; i < addresses.length; i++) addresses[i] = pageAt(i % kinds.length, (i * 37) % P);
    const expected = Array.from(probeMany(addresses));
    expect(expected.slice(0, kinds.length)).toEqual(kinds.map((kind) => ProbeCode[STATE_OF_KIND[kind]]));
    const inWorker = (): Promise<number[]> => new Promise((resolve, reject) => {
      const worker = new Worker(`
        const { parentPort, workerData } = require('node:worker_threads');
        const { probeMany } = require(${JSON.stringify(PACKAGE_ROOT)});
        const results = [];
        for (let round = 0; round < 20; round++) results.push(Array.from(probeMany(workerData)));
        parentPort.postMessage(results.every((r) => r.join() === results[0].join()) ? results[0] : 'rounds differ');`, { eval: true, workerData: addresses });
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const results = await Promise.all([inWorker(), inWorker(), probeManyAsync(addresses), probeManyAsync(addresses), Promise.resolve(probeMany(addresses))]);
    for (const result of results) expect(Array.from(result)).toEqual(expected);
  });

  test('scanReadable returns the readable pages as maximal ranges, exact to the page and clipped', () => {
    const start = layout.address;
    const end = layout.address + BigInt(layout.size);
    expect(scanReadable({ start, end })).toEqual([
      { start: pageAt(0), end: pageAt(1) },
      { start: pageAt(2), end: pageAt(3) },
      { start: pageAt(4), end: pageAt(6) },  // rw and r merge: both readable
      { start: pageAt(8), end: pageAt(9) },
    ]);
    // Clipped to a window that starts and ends inside pages.
    expect(scanReadable({ start: pageAt(0, 100), end: pageAt(4, 5) })).toEqual([
      { start: pageAt(0, 100), end: pageAt(1) },
      { start: pageAt(2), end: pageAt(3) },
      { start: pageAt(4), end: pageAt(4, 5) },
    ]);
    expect(scanReadable({ start: pageAt(1), end: pageAt(1) })).toEqual([]);
    expect(scanReadable({ start: Number(pageAt(6)), end: Number(pageAt(8)) })).toEqual([]);
  });
});

describe('a shared file mapping truncated under it', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-probe-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('pages past the end of the file are protected (SIGBUS), the rest readable, and the scan ends exactly there', () => {
    const file = path.join(dir, 'data');
    fs.writeFileSync(file, Buffer.alloc(8 * P, 0x42));
    const mapping = mapFile(file, 8 * P, { shared: true });
    try {
      const at = (page: number): bigint => mapping.address + BigInt(page * P);
      const whole = { start: mapping.address, end: at(8) };
      expect(scanReadable(whole)).toEqual([whole]);
      fs.truncateSync(file, 3 * P + 1);  // pages 0..3 still hold file bytes (3 partly), 4..7 are past the end
      expect([0, 1, 2, 3, 4, 5, 6, 7].map((page) => probe(at(page)))).toEqual(['readable', 'readable', 'readable', 'readable', 'protected', 'protected', 'protected', 'protected']);
      expect(isReadable(at(3), P)).toBe(true);
      expect(isReadable(at(3), P + 1)).toBe(false);
      expect(Array.from(probeMany(new BigUint64Array([at(3) + 5n, at(4) + 5n])))).toEqual([ProbeCode.readable, ProbeCode.protected]);
      expect(scanReadable(whole)).toEqual([{ start: at(0), end: at(4) }]);
      fs.truncateSync(file, 0);
      expect(scanReadable(whole)).toEqual([]);
      expect(probe(at(0))).toBe('protected');
    } finally {
      mapping.unmap();
    }
  });
});

testNeeding(guardRegionsMissing())('a guard region inside a mapping (MADV_GUARD_INSTALL) is unmapped to a read, and cut out of the scan', () => {
  const mapping = mapPages(6);
  try {
    binding._installGuardRegion(mapping.address + 2n * BP, 2 * P);
    const at = (page: number): bigint => mapping.address + BigInt(page * P);
    // The maps still list one mapping covering all six pages (the kernel may have merged a neighbour into it).
    const covering = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').filter((line) => {
      const [start, end] = line.split(' ')[0].split('-').map((hex) => BigInt(`0x${hex || '0'}`));
      return line.includes(' rw-p ') && start <= at(0) && end >= at(6);
    });
    expect(covering).toHaveLength(1);
    expect([0, 1, 2, 3, 4, 5].map((page) => probe(at(page)))).toEqual(['readable', 'readable', 'unmapped', 'unmapped', 'readable', 'readable']);
    expect(scanReadable({ start: at(0), end: at(6) })).toEqual([{ start: at(0), end: at(2) }, { start: at(4), end: at(6) }]);
    // A guard at the first page, where the scan would otherwise make its one load for the mapping.
    binding._installGuardRegion(mapping.address, P);
    expect(scanReadable({ start: at(0), end: at(6) })).toEqual([{ start: at(1), end: at(2) }, { start: at(4), end: at(6) }]);
  } finally {
    mapping.unmap();
  }
});

describe('pages of one mapping that differ: userfaultfd (SIGBUS mode) and poison markers', () => {
  interface Userfaultfd {
    open(): { fd?: number; poison?: boolean; minor?: boolean; error?: number };
    register(fd: number, address: bigint, length: number, mode: 'missing' | 'minor'): number;
    unregister(fd: number, address: bigint, length: number): number;
    fill(fd: number, address: bigint, length: number, byte: number): number;
    poison(fd: number, address: bigint, length: number): number;
    close(fd: number): number;
  }
  const uffd = require(buildFixture('userfaultfd')) as Userfaultfd;
  const opened = uffd.open();
  const errnoName = (errno: number): string => Object.entries(os.constants.errno).find(([, value]) => value === errno)?.[0] ?? String(errno);
  // The kernel may refuse userfaultfd (CONFIG_USERFAULTFD off, a seccomp filter, vm.unprivileged_userfaultfd with
  // user-mode faults refused): then there is nothing to scan.
  const refused = opened.error === undefined ? '' : ` (skipped: the kernel refuses userfaultfd here, ${errnoName(opened.error)})`;
  const withUffd = refused === '' ? test : test.skip;
  afterAll(() => {
    if (opened.fd !== undefined) uffd.close(opened.fd);
  });

  /** The readable ranges of `count` pages from `base` according to a real load of each page (the kernel's answer). */
  const loaded = (base: bigint, count: number): { states: PageState[]; ranges: Array<{ start: bigint; end: bigint }> } => {
    const states = Array.from({ length: count }, (_, page) => probe(base + BigInt(page * P)));
    const ranges: Array<{ start: bigint; end: bigint }> = [];
    states.forEach((state, page) => {
      if (state !== 'readable') return;
      const at = base + BigInt(page * P);
      const last = ranges[ranges.length - 1];
      if (last !== undefined && last.end === at) last.end = at + BP;
      else ranges.push({ start: at, end: at + BP });
    });
    return { states, ranges };
  };

  withUffd(`an anonymous mapping registered for missing pages: only populated pages are readable, as each page's load says${refused}`, () => {
    const fd = opened.fd!;
    const mapping = mapPages(12);
    const at = (page: number): bigint => mapping.address + BigInt(page * P);
    try {
      // Written before the registration: 0, 1, 5; filled by the monitor's UFFDIO_COPY after it: 8; poisoned: 10.
      for (const page of [0, 1, 5]) expect(safeMemcpy(at(page), Buffer.from('populated'), 9).ok).toBe(true);
      expect(uffd.register(fd, mapping.address, 12 * P, 'missing')).toBe(0);
      expect(fs.readFileSync('/proc/self/smaps', 'utf8')).toMatch(new RegExp(`^${mapping.address.toString(16)}-[^]*?VmFlags:.* um `, 'm'));
      expect(uffd.fill(fd, at(8), P, 0x5a)).toBe(0);
      if (opened.poison) expect(uffd.poison(fd, at(10), P)).toBe(0);
      const window = { start: at(0), end: at(12) };
      const reference = loaded(at(0), 12);
      // The kernel: a populated page reads, an unpopulated one raises SIGBUS (UFFD_FEATURE_SIGBUS), a poisoned one too.
      expect(reference.states.map((state, page) => [page, state])).toEqual(
        Array.from({ length: 12 }, (_, page) => [page, [0, 1, 5, 8].includes(page) ? 'readable' : 'protected']),
      );
      expect(scanReadable(window)).toEqual(reference.ranges);
      expect(Array.from(probeMany(new BigUint64Array(Array.from({ length: 40 }, (_, i) => at(i % 12) + BigInt(i)))))).toEqual(
        Array.from({ length: 40 }, (_, i) => ([0, 1, 5, 8].includes(i % 12) ? ProbeCode.readable : ProbeCode.protected)),
      );
      // Unregistered, the mapping is ordinary again: every page reads but a poison marker, which stays until zapped.
      expect(uffd.unregister(fd, mapping.address, 12 * P)).toBe(0);
      const after = loaded(at(0), 12);
      expect(after.states.filter((state) => state !== 'readable').length).toBe(opened.poison ? 1 : 0);
      expect(scanReadable(window)).toEqual(after.ranges);
    } finally {
      mapping.unmap();
    }
  });

  const noMinor = refused !== '' || opened.minor ? refused : ' (skipped: the kernel offers no minor faults on shared memory, UFFD_FEATURE_MINOR_SHMEM, before 5.14)';
  (noMinor === '' ? test : test.skip)(`a shared memory mapping registered for minor faults: only pages this mapping has mapped are readable${noMinor}`, () => {
    const fd = opened.fd!;
    const file = path.join('/dev/shm', `memprobe-uffd-minor-${process.pid}`);
    fs.writeFileSync(file, Buffer.alloc(6 * P, 0x42));  // every page in the page cache
    const mapping = mapFile(file, 6 * P, { shared: true, writable: true });
    const at = (page: number): bigint => mapping.address + BigInt(page * P);
    try {
      // Writes map only the page written (a read would map its neighbours too: fault-around).
      for (const page of [1, 5]) expect(safeMemcpy(at(page), Buffer.from('mapped'), 6).ok).toBe(true);
      expect(uffd.register(fd, mapping.address, 6 * P, 'minor')).toBe(0);
      const reference = loaded(at(0), 6);
      expect(reference.states).toEqual(['protected', 'readable', 'protected', 'protected', 'protected', 'readable']);
      expect(scanReadable({ start: at(0), end: at(6) })).toEqual(reference.ranges);
      expect(uffd.unregister(fd, mapping.address, 6 * P)).toBe(0);
    } finally {
      mapping.unmap();
      fs.rmSync(file, { force: true });
    }
  });
});

describe('special places', () => {
  test.each([0n, 1n, 0x42n, BP - 1n])('NULL page (%p): unmapped', (address) => {
    expect(probe(address)).toBe('unmapped');
  });

  test.each([1n << 47n, 0x1234_5678_9abc_def0n, 0xffff_7fff_ffff_ffffn])('non-canonical (%p)', (address) => {
    expect(probe(address)).toBe(BETWEEN_HALVES.verdict);
    expect(isReadable(address, 1)).toBe(false);
  });

  test.each([0xffff_8000_0000_0000n, 0xffff_ffff_ff60_0000n, 0xffff_ffff_ffff_f000n])('the kernel half and [vsyscall] (%p): unmapped', (address) => {
    expect(probe(address)).toBe('unmapped');
  });

  test('isReadable over a range that runs from the user half into non-canonical space is false', () => {
    expect(isReadable((1n << 47n) - BP, 2 * P)).toBe(false);
  });

  testNeeding(vvarMissing)('[vvar] pages: a plain unguarded load in a fresh process decides each verdict', () => {
    const special = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').filter((line) => / \[vvar[^\]]*\]$/.test(line));
    expect(special.length).toBeGreaterThan(0);
    const outcomes = new Set<string>();
    for (const line of special) {
      const name = line.slice(line.lastIndexOf(' ') + 1);
      const [start, end] = rangeOf(line);
      for (let page = 0n; page < (end - start) / BP; page++) {
        // In a fresh process (its own [vvar]): memprobe's verdict first, then a plain load that no guard covers.
        const child = runChild(`
          const fs = require('node:fs');
          const line = fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').find((l) => l.endsWith(' ${name}'));
          const address = BigInt('0x' + line.split('-')[0]) + ${page * BP}n;
          process.stdout.write(memprobe.probe(address) + '\\n');
          require(${JSON.stringify(require.resolve('../dist/common/native'))}).binding._touchUnguarded(address);
          process.stdout.write('loaded\\n');`);
        const verdict = child.stdout.split('\n')[0];
        outcomes.add(verdict);
        if (verdict === 'readable') {
          expect([name, page, child.status, child.stdout]).toEqual([name, page, 0, 'readable\nloaded\n']);
        } else {
          expect([name, page, verdict, child.signal]).toEqual([name, page, 'protected', 'SIGBUS']);
        }
      }
    }
    // On this kernel some [vvar] pages read and some raise SIGBUS: both verdicts were met.
    expect([...outcomes].sort()).toEqual(['protected', 'readable']);
  });
});

describe('the gap below [stack]', () => {
  const stack = (): string => mapsLine((line) => line.endsWith('[stack]'));

  testNeeding(stackGapMissing)('probing below the stack says unmapped and never grows it', () => {
    const probeBelow = (start: bigint): void => {
      for (const address of [start - 1n, start - BP, start - 4n * BP, start - 16n * BP, start - 100n * BP]) expect(probe(address)).toBe('unmapped');
      expect(Array.from(probeMany(new BigUint64Array(Array.from({ length: 64 }, (_, i) => start - BigInt(i + 1) * 64n))))).toEqual(new Array(64).fill(ProbeCode.unmapped));
      expect(isReadable(start - 16n * BP, 16 * P)).toBe(false);
      expect(isReadable(start - 1n, 2)).toBe(false);
      expect(scanReadable({ start: start - 64n * BP, end: start + BP })).toEqual([{ start, end: start + BP }]);
    };
    // Once first, so that whatever stack these calls themselves need is already there: then any change between
    // the two reads of the maps could only come from the probes.
    probeBelow(rangeOf(stack())[0]);
    const before = stack();
    probeBelow(rangeOf(before)[0]);
    expect(stack()).toBe(before);
    // The stack itself is readable.
    expect(probe(rangeOf(before)[0])).toBe('readable');
  });

  testNeeding(stackGapMissing)('a plain load there grows the stack (what memprobe avoids), shown in a child', () => {
    const child = runChild(`
      const fs = require('node:fs');
      const stackLine = () => fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').find((l) => l.endsWith('[stack]'));
      const before = stackLine();
      const start = BigInt('0x' + before.split('-')[0]);
      const probed = memprobe.probe(start - BigInt(memprobe.pageSize) * 4n);
      const afterProbe = stackLine();
      require(${JSON.stringify(require.resolve('../dist/common/native'))}).binding._touchUnguarded(start - BigInt(memprobe.pageSize) * 4n);
      console.log(JSON.stringify({ probed, unchanged: before === afterProbe, grew: stackLine() !== before }));`);
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({ probed: 'unmapped', unchanged: true, grew: true });
  });
});

describe('bad input', () => {
  test('addresses', () => {
    for (const bad of ['0x10', null, undefined, {}, [1n]]) {
      expect(() => probe(bad as never)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    }
    for (const bad of [-1n, 1n << 64n, -1, 1.5, 2 ** 53, NaN]) {
      expect(() => probe(bad as never)).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    }
    expect(() => probe(-1)).toThrow('The "address" argument must be a non-negative safe integer address (use a bigint beyond 2^53). Received -1');
  });

  test('isReadable lengths and wrapping', () => {
    expect(() => isReadable(0n, -1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => isReadable(0n, 1.5)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => isReadable(0n, '1' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => isReadable((1n << 64n) - 1n, 2)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(isReadable((1n << 64n) - 1n, 1)).toBe(false);
    expect(isReadable((1n << 64n) - 1n, 0)).toBe(true);
  });

  test('probeMany takes a BigUint64Array only, and a valid pid', async () => {
    for (const bad of [[1n, 2n], new BigInt64Array(2), new Float64Array(2), new Uint8Array(8), null, 5n]) {
      expect(() => probeMany(bad as never)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
      await expect(probeManyAsync(bad as never)).rejects.toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    }
    expect(() => probeMany(new BigUint64Array(1), 'x' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => probeMany(new BigUint64Array(1), { pid: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => probeMany(new BigUint64Array(1), { pid: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    await expect(probeManyAsync(new BigUint64Array(1), { pid: -3 })).rejects.toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  test('scanReadable windows', () => {
    expect(() => scanReadable({ start: 10n, end: 5n })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    expect(() => scanReadable({ start: 10n, end: 5n })).toThrow('The "options.start" argument must be at most options.end (0x5). Received 10n');
    expect(() => scanReadable({ start: 'a' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => scanReadable({ end: 1n << 64n })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => scanReadable(7 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => scanReadable({ pid: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});
