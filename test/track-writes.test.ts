// trackWrites: written() names exactly the pages written since the start or the last reset(), by every writer
// (JavaScript, native code on another thread, the kernel on the process's behalf), with each mechanism this kernel
// supports; a mechanism the kernel lacks is skipped with the capability that is missing, detected without memprobe.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { mapFile, mapPages, pageSize, readMaps, readU8, safeMemcpy, trackWrites, writeU8, type Mapping, type Range, type WriteTracker } from '../lib';
import { testNeeding } from './helpers/capabilities';
import { PACKAGE_ROOT, runChild } from './helpers/child';
import { buildFixture } from './helpers/native-fixture';

const P = pageSize;
const BP = BigInt(P);

interface PageWriter {
  write(address: bigint, pageSize: number, pages: number[], onThread: boolean): number;
  read(address: bigint, pageSize: number, pages: number[]): number;
  readInto(fd: number, address: bigint, length: number): number;
  hugePages(address: bigint, length: number): number;
}
const writer = require(buildFixture('page-writer')) as PageWriter;

/** Why PAGEMAP_SCAN over a userfaultfd WP-async range cannot work here, or null: the kernel's release and userfaultfd itself. */
const pagemapScanMissing: string | null = (() => {
  const [major, minor] = os.release().split('.').map((part) => parseInt(part, 10));
  if (major < 6 || (major === 6 && minor < 7)) return `Linux ${os.release()} has no PAGEMAP_SCAN nor UFFD_FEATURE_WP_ASYNC (6.7)`;
  const uffd = require(buildFixture('userfaultfd')) as { open(): { fd?: number; error?: number }; close(fd: number): number };
  const opened = uffd.open();
  if (opened.fd !== undefined) uffd.close(opened.fd);
  return opened.error === undefined ? null : `the kernel refuses userfaultfd here (errno ${opened.error})`;
})();

/** Why soft-dirty bits cannot work here, or null: a page just written to a new mapping must read back with pagemap bit 55. */
const softDirtyMissing: string | null = (() => {
  const page = mapPages(1);
  try {
    writeU8(page.address, 1);
    const entry = Buffer.alloc(8);
    const fd = fs.openSync('/proc/self/pagemap', 'r');
    try {
      fs.readSync(fd, entry, 0, 8, Number(page.address / BP) * 8);
    } finally {
      fs.closeSync(fd);
    }
    return (entry.readBigUInt64LE(0) >> 55n) & 1n ? null : 'the kernel keeps no soft-dirty bits (CONFIG_MEM_SOFT_DIRTY: a page just written reads back without pagemap bit 55)';
  } finally {
    page.unmap();
  }
})();

const HUGE = 2 * 1024 * 1024;
/** Why a mapping cannot be given transparent huge pages of HUGE bytes here, or null. */
const hugePagesMissing: string | null = (() => {
  const enabled = (file: string): string | null => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : null);
  const mode = enabled('/sys/kernel/mm/transparent_hugepage/enabled');
  if (mode === null) return 'the kernel has no transparent huge pages';
  if (mode.includes('[never]')) return 'transparent huge pages are turned off (never)';
  if (P * 512 !== HUGE) return `the page size is ${P}: a 2 MiB huge page is not 512 of them`;
  return null;
})();

const MECHANISMS = [
  ['pagemap-scan', pagemapScanMissing],
  ['soft-dirty', softDirtyMissing],
] as const;

const whole = (mapping: Mapping): Range => ({ start: mapping.address, end: mapping.address + BigInt(mapping.size) });

/** The page indices (from `base`) that `ranges` cover, after checking they are page-aligned, sorted and merged. */
function pagesIn(ranges: Range[], base: bigint): number[] {
  const pages: number[] = [];
  ranges.forEach((range, i) => {
    expect(range.start % BP).toBe(0n);
    expect(range.end % BP).toBe(0n);
    expect(range.end).toBeGreaterThan(range.start);
    if (i > 0) expect(range.start).toBeGreaterThan(ranges[i - 1].end);  // merged: no two touch
    for (let at = range.start; at < range.end; at += BP) pages.push(Number((at - base) / BP));
  });
  return pages;
}

/** /proc/self/smaps from the entry of the mapping that starts at `address` on. */
function smapsEntry(address: bigint): string {
  const smaps = fs.readFileSync('/proc/self/smaps', 'utf8');
  const at = smaps.search(new RegExp(`^${address.toString(16).padStart(8, '0')}-`, 'm'));
  expect(at).toBeGreaterThanOrEqual(0);
  return smaps.slice(at);
}

/** The VmFlags /proc/self/smaps gives the mapping that starts at `address`. */
const vmFlags = (address: bigint): string[] => /VmFlags:(.*)/.exec(smapsEntry(address))![1].trim().split(' ');

const written = (tracker: WriteTracker, base: bigint): number[] => pagesIn(tracker.written(), base);
const writeJs = (base: bigint, pages: number[]): void => pages.forEach((page) => expect(writeU8(base + BigInt(page * P), 0x5a).ok).toBe(true));
const readJs = (base: bigint, pages: number[]): void => pages.forEach((page) => expect(readU8(base + BigInt(page * P)).ok).toBe(true));

describe.each(MECHANISMS)('trackWrites with %s', (mechanism, missing) => {
  const it = testNeeding(missing);
  let mapping: Mapping;
  let tracker: WriteTracker | undefined;
  beforeEach(() => {
    mapping = mapPages(64);
  });
  afterEach(() => {
    tracker?.stop();
    tracker = undefined;
    mapping.unmap();
  });

  it('written() is exactly the pages written since the start: not those written before, nor those only read', () => {
    const base = mapping.address;
    writeJs(base, [0, 1, 2, 30, 31]);  // populated before the start, written again below or not
    tracker = trackWrites(whole(mapping), { mechanism });
    expect(tracker.mechanism).toBe(mechanism);
    expect(tracker.range).toEqual(whole(mapping));
    expect(written(tracker, base)).toEqual([]);
    readJs(base, [0, 10, 11, 40, 63]);  // a read of a populated page, and of pages never touched (the zero page)
    expect(writer.read(base, P, [2, 12, 13, 50])).toBe(0x5a);
    writeJs(base, [1, 5, 6, 7, 63]);
    expect(writer.write(base, P, [20, 30, 62], false)).toBe(0);
    expect(written(tracker, base)).toEqual([1, 5, 6, 7, 20, 30, 62, 63]);
    // Asking does not change the answer.
    expect(written(tracker, base)).toEqual([1, 5, 6, 7, 20, 30, 62, 63]);
  });

  it('reset() starts over: only what is written after it counts', () => {
    const base = mapping.address;
    tracker = trackWrites(whole(mapping), { mechanism });
    writeJs(base, [3, 4, 9]);
    tracker.reset();
    expect(written(tracker, base)).toEqual([]);
    writeJs(base, [4, 8]);
    expect(written(tracker, base)).toEqual([4, 8]);
    tracker.reset();
    tracker.reset();
    expect(written(tracker, base)).toEqual([]);
    writeJs(base, [0, 63]);
    expect(written(tracker, base)).toEqual([0, 63]);
  });

  it('sees writes from another thread (a C fixture\'s pthread)', () => {
    const base = mapping.address;
    tracker = trackWrites(whole(mapping), { mechanism });
    expect(writer.write(base, P, [11, 12, 40], true)).toBe(0);
    expect(written(tracker, base)).toEqual([11, 12, 40]);
  });

  it('sees writes the kernel makes on the process\'s behalf: read(2) into the range and process_vm_writev', () => {
    const base = mapping.address;
    tracker = trackWrites(whole(mapping), { mechanism });
    const fd = fs.openSync(__filename, 'r');
    try {
      expect(writer.readInto(fd, base + BigInt(5 * P), 2 * P)).toBe(2 * P);   // this file is longer than two pages
    } finally {
      fs.closeSync(fd);
    }
    expect(safeMemcpy(base + BigInt(20 * P) + 100n, Buffer.from('kernel'), 6, { strategy: 'syscall' }).ok).toBe(true);
    expect(written(tracker, base)).toEqual([5, 6, 20]);
  });

  it('stop() undoes the tracking, is idempotent, and the range can be tracked again', () => {
    const base = mapping.address;
    const first = trackWrites(whole(mapping), { mechanism });
    writeJs(base, [1]);
    // pagemap-scan's registration: smaps shows 'uw' (userfaultfd write protection) until stop() ends it.
    if (mechanism === 'pagemap-scan') expect(vmFlags(base)).toContain('uw');
    first.stop();
    expect(vmFlags(base)).not.toContain('uw');
    first.stop();
    const stopped = expect.objectContaining({ code: 'ERR_INVALID_STATE' });
    expect(() => first.written()).toThrow(stopped);
    expect(() => first.reset()).toThrow(stopped);
    expect(() => first.written()).toThrow(/written\(\) was called after stop\(\)/);
    writeJs(base, [2]);  // untracked: writes go on as before
    tracker = trackWrites(whole(mapping), { mechanism });
    writeJs(base, [3]);
    expect(written(tracker, base)).toEqual([3]);
  });

  it('two trackers over disjoint ranges each see their own writes, and one\'s reset() leaves the other\'s record', () => {
    const other = mapPages(16);
    const base = mapping.address;
    tracker = trackWrites(whole(mapping), { mechanism });
    const second = trackWrites(whole(other), { mechanism });
    try {
      writeJs(base, [2, 3]);
      writeJs(other.address, [0, 15]);
      second.reset();
      expect(written(tracker, base)).toEqual([2, 3]);
      expect(written(second, other.address)).toEqual([]);
      writeJs(other.address, [7]);
      tracker.reset();
      expect(written(second, other.address)).toEqual([7]);
      expect(written(tracker, base)).toEqual([]);
    } finally {
      second.stop();
      other.unmap();
    }
  });

  it('more runs than one kernel answer holds (every other page of 2048), and a reset of them all', () => {
    const large = mapPages(2048);
    try {
      const even = Array.from({ length: 1024 }, (_, i) => 2 * i);
      const t = trackWrites(whole(large), { mechanism });
      try {
        expect(writer.write(large.address, P, even, false)).toBe(0);
        expect(written(t, large.address)).toEqual(even);
        t.reset();
        expect(written(t, large.address)).toEqual([]);
        writeJs(large.address, [1, 2047]);
        expect(written(t, large.address)).toEqual([1, 2047]);
      } finally {
        t.stop();
      }
    } finally {
      large.unmap();
    }
  });

  // pagemap-scan: the kernel splits the huge page at the first write under asynchronous write protection
  // (wp_huge_pmd), so the one page is reported. soft-dirty: a write to a huge page sets the bit of the whole huge
  // page (do_huge_pmd_wp_page reuses it), so up to all its pages are reported, never pages of another huge page.
  testNeeding(missing, hugePagesMissing)('a write into a transparent huge page marks its one page (soft-dirty: at most its huge page)', () => {
    // 6 MiB mapped; the 4 MiB aligned to 2 MiB inside it made huge pages (MADV_HUGEPAGE) and touched.
    const big = mapPages((3 * HUGE) / P);
    try {
      const start = (big.address + BigInt(HUGE) - 1n) & ~BigInt(HUGE - 1);
      const count = (2 * HUGE) / P;
      expect(writer.hugePages(start, 2 * HUGE)).toBe(0);
      expect(writer.write(start, P, Array.from({ length: count }, (_, i) => i), false)).toBe(0);
      expect(Number(/AnonHugePages:\s+(\d+) kB/.exec(smapsEntry(start))![1])).toBeGreaterThan(0);
      const t = trackWrites({ start, end: start + BigInt(2 * HUGE) }, { mechanism });
      try {
        writeJs(start, [5, 7]);  // both in the first huge page
        const pages = written(t, start);
        if (mechanism === 'pagemap-scan') {
          expect(pages).toEqual([5, 7]);
        } else {
          expect(pages).toEqual(expect.arrayContaining([5, 7]));
          expect(pages.every((page) => page < count / 2)).toBe(true);
        }
      } finally {
        t.stop();
      }
    } finally {
      big.unmap();
    }
  });

  // Memory kinds beside anonymous private memory: shmem (a file in /dev/shm, shared), and a regular file of the
  // disk's file system, private (copy-on-write) and shared.
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-track-'));
  const shm = fs.existsSync('/dev/shm') ? null : 'there is no /dev/shm';
  afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));
  const KINDS = [
    ['shmem (/dev/shm, shared)', '/dev/shm', { shared: true, writable: true }, shm],
    ['a regular file, private', directory, { writable: true }, null],
    ['a regular file, shared', directory, { shared: true, writable: true }, null],
  ] as const;
  describe.each(KINDS)('memory: %s', (_, where, options, kindMissing) => {
    testNeeding(missing, kindMissing)('written() is exactly the pages written', () => {
      const file = path.join(where, `memprobe-track-${process.pid}-${mechanism}`);
      fs.writeFileSync(file, Buffer.alloc(8 * P, 1));
      const mapped = mapFile(file, 8 * P, options);
      try {
        expect(writer.read(mapped.address, P, [0, 1, 2])).toBe(3);  // populated by reads first
        const t = trackWrites(whole(mapped), { mechanism });
        try {
          readJs(mapped.address, [3, 4]);
          writeJs(mapped.address, [1, 4, 7]);
          expect(written(t, mapped.address)).toEqual([1, 4, 7]);
          t.reset();
          writeJs(mapped.address, [0]);
          expect(written(t, mapped.address)).toEqual([0]);
        } finally {
          t.stop();
        }
      } finally {
        mapped.unmap();
        fs.rmSync(file);
      }
    });
  });
});

describe('choosing a mechanism', () => {
  testNeeding(pagemapScanMissing)('the default is pagemap-scan where the kernel has it', () => {
    const mapping = mapPages(2);
    const tracker = trackWrites(whole(mapping));
    try {
      expect(tracker.mechanism).toBe('pagemap-scan');
    } finally {
      tracker.stop();
      mapping.unmap();
    }
  });

  testNeeding(pagemapScanMissing)('pagemap-scan refuses a range another tracker holds, saying so; the first goes on', () => {
    const mapping = mapPages(8);
    const first = trackWrites(whole(mapping), { mechanism: 'pagemap-scan' });
    try {
      expect(() => trackWrites({ start: mapping.address + BP, end: mapping.address + 2n * BP }, { mechanism: 'pagemap-scan' })).toThrow(
        expect.objectContaining({ code: 'ERR_WRITE_TRACKING_UNAVAILABLE', message: expect.stringMatching(/registered with another userfaultfd already/) }),
      );
      writeJs(mapping.address, [1]);
      expect(written(first, mapping.address)).toEqual([1]);
    } finally {
      first.stop();
      mapping.unmap();
    }
  });

  testNeeding(pagemapScanMissing)('pagemap-scan refuses a special mapping ([vdso]) with the reason and the EINVAL', () => {
    const vdso = readMaps().find((entry) => entry.path === '[vdso]');
    expect(vdso).toBeDefined();
    const error = (() => {
      try {
        trackWrites({ start: vdso!.start, end: vdso!.end }, { mechanism: 'pagemap-scan' }).stop();
      } catch (caught) {
        return caught as Error & { code: string; cause?: { code: string; syscall: string } };
      }
      throw new Error('trackWrites took [vdso]');
    })();
    expect(error.code).toBe('ERR_WRITE_TRACKING_UNAVAILABLE');
    expect(error.message).toMatch(/'pagemap-scan': userfaultfd cannot write-protect this memory: .*special mappings/);
    expect(error.cause).toEqual(expect.objectContaining({ code: 'EINVAL', syscall: 'ioctl(UFFDIO_REGISTER)' }));
  });

  testNeeding(softDirtyMissing === null ? 'the kernel keeps soft-dirty bits here' : null)(
    'soft-dirty asked for where the kernel keeps no soft-dirty bits throws, naming CONFIG_MEM_SOFT_DIRTY',
    () => {
      const mapping = mapPages(1);
      try {
        expect(() => trackWrites(whole(mapping), { mechanism: 'soft-dirty' })).toThrow(
          expect.objectContaining({ code: 'ERR_WRITE_TRACKING_UNAVAILABLE', message: expect.stringMatching(/'soft-dirty': .*CONFIG_MEM_SOFT_DIRTY/) }),
        );
      } finally {
        mapping.unmap();
      }
    },
  );
});

describe('a tracker never stopped', () => {
  // In a child: a worker's environment going away, and a garbage collection, must each end the registration, or
  // the range stays write-protected for good and no other tracker can take it.
  testNeeding(pagemapScanMissing)('ends with the worker that made it, and when collected', () => {
    const run = runChild(`
      const { Worker } = require('node:worker_threads');
      const fs = require('node:fs');
      const P = BigInt(memprobe.pageSize);
      const flags = (address) => {
        const smaps = fs.readFileSync('/proc/self/smaps', 'utf8');
        const at = smaps.search(new RegExp('^' + address.toString(16).padStart(8, '0') + '-', 'm'));
        return /VmFlags:(.*)/.exec(smaps.slice(at))[1].trim().split(' ');
      };
      const pages = memprobe.mapPages(4);
      const range = { start: pages.address, end: pages.address + 4n * P };
      const worker = new Worker([
        'const memprobe = require(' + JSON.stringify(${JSON.stringify(PACKAGE_ROOT)}) + ');',
        "const { workerData, parentPort } = require('node:worker_threads');",
        'const tracker = memprobe.trackWrites(workerData);',
        'memprobe.writeU8(workerData.start, 1);',
        'parentPort.postMessage(tracker.written().length);',
        "parentPort.once('message', () => process.exit(0));",  // alive, tracker and all, until told
      ].join('\\n'), { eval: true, workerData: range });
      worker.on('message', (count) => {
        console.log('worker saw', count, 'while registered:', flags(pages.address).includes('uw'));
        worker.postMessage('exit');
      });
      worker.on('exit', async () => {
        console.log('after the worker exited:', flags(pages.address).includes('uw'));
        (() => memprobe.trackWrites(range))();  // taken again (not EBUSY), then dropped unstopped
        console.log('dropped:', flags(pages.address).includes('uw'));
        for (let i = 0; i < 10 && flags(pages.address).includes('uw'); i++) {
          global.gc();
          await new Promise((resolve) => setImmediate(resolve));
        }
        console.log('after a collection:', flags(pages.address).includes('uw'));
      });`, { nodeArgs: ['--expose-gc'] });
    expect(run).toEqual({
      status: 0,
      signal: null,
      stdout: 'worker saw 1 while registered: true\nafter the worker exited: false\ndropped: true\nafter a collection: false\n',
      stderr: '',
    });
  });
});

describe('bad input is refused before anything is set up', () => {
  let mapping: Mapping;
  beforeAll(() => {
    mapping = mapPages(3);
  });
  afterAll(() => mapping.unmap());
  const a = (): bigint => mapping.address;

  test.each([
    ['no range', () => undefined, 'ERR_INVALID_ARG_VALUE', TypeError],
    ['a string start', () => ({ start: 'x', end: a() + BP }), 'ERR_INVALID_ARG_TYPE', TypeError],
    ['a negative start', () => ({ start: -1n, end: a() + BP }), 'ERR_OUT_OF_RANGE', RangeError],
    ['an unaligned start', () => ({ start: a() + 1n, end: a() + BP }), 'ERR_OUT_OF_RANGE', RangeError],
    ['an unaligned end', () => ({ start: a(), end: a() + BP - 1n }), 'ERR_OUT_OF_RANGE', RangeError],
    ['an empty range', () => ({ start: a(), end: a() }), 'ERR_OUT_OF_RANGE', RangeError],
    ['a reversed range', () => ({ start: a() + BP, end: a() }), 'ERR_OUT_OF_RANGE', RangeError],
    ['a range past user space', () => ({ start: a(), end: 1n << 63n }), 'ERR_OUT_OF_RANGE', RangeError],
  ])('%s', (_, range, code, kind) => {
    expect(() => trackWrites(range() as Range)).toThrow(kind);
    expect(() => trackWrites(range() as Range)).toThrow(expect.objectContaining({ code }));
  });

  test('a range not wholly mapped names the first address that is not', () => {
    const holed = mapPages(3);
    holed.unmap(P, P);
    try {
      const hole = `0x${(holed.address + BP).toString(16)}`;
      expect(() => trackWrites(whole(holed))).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining(`nothing mapped at ${hole}`) }),
      );
    } finally {
      holed.unmap();
    }
  });

  test('unknown option names and mechanisms are refused, naming the known ones', () => {
    expect(() => trackWrites(whole(mapping), { mechanisms: 'soft-dirty' } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining("unknown property 'mechanisms'") }),
    );
    expect(() => trackWrites(whole(mapping), { mechanism: 1 as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => trackWrites(whole(mapping), { mechanism: 'fault' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining("one of 'pagemap-scan', 'soft-dirty'") }),
    );
  });
});
