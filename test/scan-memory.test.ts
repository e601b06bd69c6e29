// scanMemory and scanMemoryIter: the matches a plain one-pass search of the same bytes finds (non-overlapping,
// leftmost first, as Frida's Memory.scan), over chunk boundaries, range edges and adjacent mappings, with each
// search routine the addon offers on this machine (SSE2 and AVX2 on x86-64, NEON on arm64); in another process;
// and without a crash when memory goes away while the scan runs (in child processes).
import { readFileSync } from 'node:fs';

import fc from 'fast-check';

import { addressOf, mapPages, pageSize, safeMemcpy, safeRead, scanMemory, scanMemoryIter, scanReadable, type Mapping } from '../lib';
import { binding } from '../lib/common/native';
import { compilePattern } from '../lib/inspect/pattern';
import { syscallCopyMissing, testNeeding } from './helpers/capabilities';
import { PACKAGE_ROOT, runChild, spawnNode } from './helpers/child';

const MiB = 1 << 20;

/** The reference: leftmost-first, non-overlapping matches of (bytes, masks) in `data`. */
function reference(data: Uint8Array, pattern: string | Uint8Array): number[] {
  const { bytes, masks } = compilePattern(pattern);
  const found: number[] = [];
  for (let i = 0; i + bytes.length <= data.length; ) {
    let match = true;
    for (let j = 0; j < bytes.length && match; j++) match = (data[i + j] & masks[j]) === bytes[j];
    if (match) {
      found.push(i);
      i += bytes.length;
    } else {
      i++;
    }
  }
  return found;
}

/**
 * Expects `found` to be exactly `base` plus each of `offsets`, in order. Compared one by one here, then only the count
 * and the first difference with what follows it go through expect: jest's deep equality over the tens of thousands
 * of matches these searches find took most of this file's time, and far more under qemu.
 */
function expectMatchesAt(context: unknown, found: readonly bigint[], base: bigint, offsets: readonly number[]): void {
  let same = 0;
  while (same < found.length && same < offsets.length && found[same] === base + BigInt(offsets[same])) same++;
  const next = found.slice(same, same + 4).map((address) => Number(address - base));
  expect({ context, count: found.length, sameUpTo: same, next }).toEqual({ context, count: offsets.length, sameUpTo: same, next: offsets.slice(same, same + 4) });
}

async function collect(iterator: AsyncIterable<bigint>): Promise<bigint[]> {
  const found: bigint[] = [];
  for await (const match of iterator) found.push(match);
  return found;
}

/** A mapping of `pages` read-write pages between two PROT_NONE fences: its window is exactly one readable range. */
function fenced(pages: number): { mapping: Mapping; start: bigint; end: bigint } {
  const mapping = mapPages(pages + 2);
  mapping.protect(0, pageSize, 'none');
  mapping.protect((pages + 1) * pageSize, pageSize, 'none');
  const start = mapping.address + BigInt(pageSize);
  return { mapping, start, end: start + BigInt(pages * pageSize) };
}

describe("Frida's scan cases, over a buffer", () => {
  const scanBuffer = (bytes: number[] | string, pattern: string) => {
    const buffer = Buffer.from(bytes as never);
    const start = addressOf(buffer);
    return scanMemory(pattern, { start, end: start + BigInt(buffer.length) }).map((address) => Number(address - start));
  };

  test('exact, wildcarded, masked, leading and trailing wildcards', () => {
    expect(scanBuffer([0x13, 0x37, 0x12, 0x13, 0x37, 0x13, 0x37], '13 37')).toEqual([0, 3, 5]);
    expect(scanBuffer([0x12, 0x11, 0x13, 0x37, 0x12, 0x00, 0x12, 0xc0, 0x13, 0x37, 0x12, 0x44, 0x13, 0x37], '12 ?? 13 37')).toEqual([0, 6, 10]);
    expect(scanBuffer([0x12, 0x11, 0x13, 0x35, 0x12, 0x00, 0x72, 0xc0, 0x13, 0x37, 0xb2, 0x44, 0x13, 0x33], '12 ?? 13 37 : 1f ff ff f1')).toEqual([0, 6, 10]);
    expect(scanBuffer([0xaa, 0x13, 0x37, 0x12, 0xbb, 0x13, 0x37, 0xcc, 0x13, 0x37], '?? 13 37')).toEqual([0, 4, 7]);
    expect(scanBuffer([0x13, 0x37, 0xaa, 0x12, 0x13, 0x37, 0xbb, 0x13, 0x37, 0xcc], '13 37 ??')).toEqual([0, 4, 7]);
    expect(scanBuffer([0x48, 0x8b, 0x05, 0x49, 0x8b, 0x15, 0x58, 0x8b, 0x05], '4? 8b ?5')).toEqual([0, 3]);
  });

  test('matches do not overlap, and a match that starts before the window is not one', () => {
    expect(scanBuffer([0x13, 0x00, 0x13, 0x37, 0x13, 0x37], '13 ?? 13 37')).toEqual([0]);
    expect(scanBuffer('aaaaa', '61 61')).toEqual([0, 2]);
    const buffer = Buffer.from([0x13, 0x00, 0x37, 0x37, 0, 0, 0, 0]);
    const start = addressOf(buffer);
    expect(scanMemory('13 ?? 37 37', { start: start + 2n, end: start + 4n })).toEqual([]);
    expect(scanMemory('13 ?? 37 37', { start, end: start + 4n })).toEqual([start]);
    expect(scanMemory('13 ?? 37 37', { start, end: start + 3n })).toEqual([]);
  });
});


/**
 * The search routines this addon offers, as it reports them: the names `_forcePatternRoutine` accepts (it refuses,
 * changing nothing, a routine this build or machine cannot run). Never from process.arch: under qemu-user the
 * process is arm64 while /proc/cpuinfo is the x86-64 host's.
 */
const ROUTINE_NAMES = ['sse2', 'neon', 'avx2'] as const;
type Routine = (typeof ROUTINE_NAMES)[number];
const OFFERED: readonly Routine[] = ROUTINE_NAMES.filter((name) => {
  try {
    return binding._forcePatternRoutine(name);
  } finally {
    binding._forcePatternRoutine('auto');
  }
});
/** The 16-byte routine every machine of the architecture the addon was built for has (SSE2, NEON). */
const VECTOR16: Routine = binding.machine.architecture === 'x64' ? 'sse2' : 'neon';
/**
 * Whether the CPU and kernel can run the AVX2 search, read independently of the addon: Linux lists the flag only when
 * the kernel also saves YMM state. Only where the addon is an x86-64 one (its machine says so): elsewhere there is
 * no AVX2 routine to offer, and /proc/cpuinfo may be an emulator's host's.
 */
const CPU_HAS_AVX2 = binding.machine.architecture === 'x64' && /^flags\s*:.*\bavx2\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));

test('the addon offers its architecture\'s 16-byte search, and AVX2 exactly where the CPU and kernel have it; it runs the widest', () => {
  expect(OFFERED).toEqual(CPU_HAS_AVX2 ? [VECTOR16, 'avx2'] : [VECTOR16]);
  const widest = CPU_HAS_AVX2 ? 'avx2' : VECTOR16;
  expect(binding._patternRoutine()).toBe(widest);
  try {
    let running: Routine = widest;
    for (const name of ROUTINE_NAMES) {
      expect(binding._forcePatternRoutine(name)).toBe(OFFERED.includes(name));
      // A refused name leaves the routine that ran before it.
      if (OFFERED.includes(name)) running = name;
      expect([name, binding._patternRoutine()]).toEqual([name, running]);
    }
  } finally {
    expect(binding._forcePatternRoutine('auto')).toBe(true);
  }
  expect(binding._patternRoutine()).toBe(widest);
});

// The searches that exercise the routine itself run once with each one forced; the reference and Frida's cases
// above and the rest below run with the machine's choice.
for (const routine of binding.machine.architecture === 'x64' ? [VECTOR16, 'avx2' as const] : [VECTOR16]) {
  const runnable = OFFERED.includes(routine);
  const title = runnable ? `the ${routine} search` : `the ${routine} search (skipped: the addon refuses it, this CPU or kernel cannot run it)`;
  (runnable ? describe : describe.skip)(title, () => {
    beforeAll(() => expect(binding._forcePatternRoutine(routine)).toBe(true));
    afterAll(() => expect(binding._forcePatternRoutine('auto')).toBe(true));

  test('random patterns over random memory: the reference search of the same bytes, sync and as an iterator', async () => {
    const { mapping, start, end } = fenced(64);
    try {
      let state = 12345;
      const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 24;
      // Few distinct values, so that matches are common.
      const data = Buffer.from(Array.from({ length: Number(end - start) }, () => [0x00, 0x41, 0x42, 0xff, 0x4f][next() % 5]));
      expect(safeMemcpy(start, data, data.length).ok).toBe(true);
      const tokens = ['41', '42', '00', 'ff', '4?', '?f', '??', '4f'];
      for (let round = 0; round < 40; round++) {
        const length = 1 + (next() % 5);
        let pattern = Array.from({ length }, () => tokens[next() % tokens.length]).join(' ');
        if (!/[0-9a-f]/.test(pattern.replace(/\?/g, ''))) pattern += ' 41';
        const expected = reference(data, pattern);
        expectMatchesAt(pattern, scanMemory(pattern, { start, end }), start, expected);
        if (round % 8 === 0) expectMatchesAt(pattern, await collect(scanMemoryIter(pattern, { start, end })), start, expected);
        // A window at any alignment: the first and last 16-byte blocks are searched only in part.
        const from = next() * 37 + next();
        const to = data.length - next() * 41 - next();
        const inside = reference(data.subarray(from, to), pattern);
        expectMatchesAt([pattern, from, to], scanMemory(pattern, { start: start + BigInt(from), end: start + BigInt(to) }), start + BigInt(from), inside);
      }
    } finally {
      mapping.unmap();
    }
  });

  test('property: random patterns, masks and windows over random pages, against the reference search', () => {
    const PAGES = 4;
    const { mapping, start } = fenced(PAGES);
    const size = PAGES * pageSize;
    // Few distinct byte values, so that the filter's bytes match often and candidates reach the full comparison.
    const alphabet = [0x00, 0x41, 0x42, 0xff, 0x4f, 0xc3];
    const masks = [0xff, 0xff, 0xff, 0x00, 0x00, 0xf0, 0x0f, 0x3c];
    const byteOf = fc.constantFrom(...alphabet);
    const patternOf = fc.oneof(
      fc.array(fc.tuple(byteOf, fc.constantFrom(...masks)), { minLength: 1, maxLength: 40 }),
      // Long and mostly wildcards: the two filter bytes can lie more than kMaxPairDistance apart.
      fc.array(fc.tuple(byteOf, fc.constantFrom(0xff, 0, 0, 0, 0, 0, 0, 0)), { minLength: 200, maxLength: 700 }),
    ).filter((pairs) => pairs.some(([, mask]) => mask !== 0));
    // Windows that begin and end anywhere, often near a page boundary.
    const nearBoundary = fc.tuple(fc.integer({ min: 0, max: PAGES }), fc.integer({ min: -100, max: 100 }))
      .map(([page, delta]) => Math.min(size, Math.max(0, page * pageSize + delta)));
    const edge = fc.oneof(nearBoundary, fc.integer({ min: 0, max: size }));
    try {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: size, maxLength: size }), patternOf, fc.array(edge, { minLength: 6, maxLength: 6 }), edge, edge, (noise, pairs, plants, from, to) => {
          const data = Buffer.from(noise.map((value) => alphabet[value % alphabet.length]));
          // Copies of the pattern (a wildcarded bit as it was), so that matches exist, some across page boundaries.
          for (const at of plants) {
            for (let i = 0; i < pairs.length && at + i < size; i++) data[at + i] = (data[at + i] & ~pairs[i][1]) | (pairs[i][0] & pairs[i][1]);
          }
          const hex = (values: number[]) => values.map((value) => value.toString(16).padStart(2, '0')).join(' ');
          const pattern = `${hex(pairs.map(([value]) => value))} : ${hex(pairs.map(([, mask]) => mask))}`;
          const [low, high] = from <= to ? [from, to] : [to, from];
          expect(safeMemcpy(start, data, size).ok).toBe(true);
          const found = scanMemory(pattern, { start: start + BigInt(low), end: start + BigInt(high) });
          expectMatchesAt(pattern, found, start + BigInt(low), reference(data.subarray(low, high), pattern));
        }),
        { numRuns: 300 },
      );
    } finally {
      mapping.unmap();
    }
  });

  test('a page made unreadable after the ranges were listed: every match that ends before it is found, at every end offset and window alignment', async () => {
    // Two readable pages between fences; the iterator lists them as one range when it is called, then the second
    // page becomes PROT_NONE and the search meets it as a fault. The 64-byte anchor loop must not let that fault
    // swallow candidates from the blocks before it in the same page; the window that ends at that page (the tail of
    // the search, scanMemory) must find them too.
    const { mapping, start } = fenced(2);
    const boundary = start + BigInt(pageSize);
    const scanWithPageLost = async (pattern: Uint8Array, window: { start: bigint; end: bigint }): Promise<bigint[]> => {
      const iterator = scanMemoryIter(pattern, window);
      mapping.protect(2 * pageSize, pageSize, 'none');
      try {
        return await collect(iterator);
      } finally {
        mapping.protect(2 * pageSize, pageSize, 'rw');
      }
    };
    const BAND = 80;
    // Written through once: with every page populated the ranges are listed without reading smaps (a walk of every
    // page of this process: ~65 ms in jest's, several times that under qemu), and they are listed ~800 times here.
    expect(safeMemcpy(start, Buffer.alloc(2 * pageSize), 2 * pageSize).ok).toBe(true);
    try {
      const lost: string[] = [];
      // A one-byte pattern over the last BAND bytes of the page: a match ends at every offset of the band at once (the
      // search starts again after each match, so this checks the start and tail alignments, not the 64-byte loop).
      const run = Buffer.alloc(BAND, 0xc3);
      expect(safeMemcpy(boundary - BigInt(BAND), run, BAND).ok).toBe(true);
      for (const skew of [0, 1, 8, 15, 16, 17, 31, 32, 40, 47, 48, 63]) {
        const window = { start: start + BigInt(skew), end: boundary + BigInt(pageSize) };
        const expected = Array.from({ length: BAND }, (_, i) => boundary - BigInt(BAND - i));
        const found = await scanWithPageLost(Uint8Array.of(0xc3), window);
        const tail = scanMemory('c3', { start: window.start, end: boundary });
        for (const address of expected) {
          if (!found.includes(address)) lost.push(`c3, window +${skew}: the match ending ${boundary - address - 1n} bytes before the page`);
          if (!tail.includes(address)) lost.push(`c3, window +${skew} ending at the page: the match ending ${boundary - address - 1n} bytes before it`);
        }
      }
      expect(safeMemcpy(boundary - BigInt(BAND), Buffer.alloc(BAND), BAND).ok).toBe(true);
      // One 8-byte match ending 0..95 bytes before the page, reached by the 64-byte loops: the group of four SSE2
      // blocks, or of two AVX2 blocks and the two blocks of their second bytes, that met the lost page held its anchor.
      const marker = Buffer.from('c0ffee5a13372bcd', 'hex');
      for (const skew of [0, 17, 32, 48]) {
        for (let before = 0; before < 96; before++) {
          const at = boundary - BigInt(before + marker.length);
          expect(safeMemcpy(at, marker, marker.length).ok).toBe(true);
          const found = await scanWithPageLost(Uint8Array.from(marker), { start: start + BigInt(skew), end: boundary + BigInt(pageSize) });
          expect(safeMemcpy(at, Buffer.alloc(marker.length), marker.length).ok).toBe(true);
          if (found.length !== 1 || found[0] !== at) lost.push(`marker, window +${skew}: the match ending ${before} bytes before the page`);
        }
      }
      expect(lost).toEqual([]);
    } finally {
      mapping.unmap();
    }
  });
  });
}

test('matches at the window edges and across every chunk boundary (16 MiB sync, 4 MiB on the pool) are found once', async () => {
  const { mapping, start, end } = fenced((40 * MiB) / pageSize);
  try {
    const marker = Buffer.from([0xde, 0xad, 0x17, 0xef, 0x4a]);  // pattern 'de ad ?? ef 4?'
    const offsets = [0, 4 * MiB - 3, 8 * MiB - 1, 8 * MiB + 7, 12 * MiB - 4, 16 * MiB - 2, 16 * MiB + 3, 28 * MiB - 5, 36 * MiB - 1, 40 * MiB - 5];
    for (const offset of offsets) expect(safeMemcpy(start + BigInt(offset), marker, marker.length).ok).toBe(true);
    const expected = offsets.map((offset) => start + BigInt(offset));
    expect(scanMemory('de ad ?? ef 4?', { start, end })).toEqual(expected);
    expect(await collect(scanMemoryIter('de ad ?? ef 4?', { start, end }))).toEqual(expected);
    // A run of 'A's over the 32 MiB boundary, at an odd offset: the pairs do not overlap across the chunks either.
    const run = Buffer.alloc(999, 'A');
    expect(safeMemcpy(start + BigInt(32 * MiB - 301), run, run.length).ok).toBe(true);
    const pairs = reference(run, '41 41').map((offset) => start + BigInt(32 * MiB - 301 + offset));
    expect(scanMemory('41 41', { start, end })).toEqual(pairs);
    expect(await collect(scanMemoryIter('41 41', { start, end }))).toEqual(pairs);
    // The window cuts a match: only matches wholly inside count.
    expect(scanMemory('de ad ?? ef 4?', { start: start + 1n, end: end - 1n })).toEqual(expected.slice(1, -1));
  } finally {
    mapping.unmap();
  }
});

test('a match straddling two adjacent readable mappings is found; none across a page that cannot be read', () => {
  const mapping = mapPages(7);
  try {
    // Pages from base: rw, r, rw, none, rw (fenced by PROT_NONE pages). The read-only page is a mapping of its own
    // between two read-write ones, and scanReadable merges the three. Markers are written before the protections.
    const base = mapping.address + BigInt(pageSize);
    const marker = Buffer.from('<memprobe-marker>');
    const at = [0, pageSize - 5, 2 * pageSize - 9, 3 * pageSize - 8, 3 * pageSize + 100, 4 * pageSize, 5 * pageSize - marker.length];
    for (const offset of at) expect(safeMemcpy(base + BigInt(offset), marker, marker.length).ok).toBe(true);
    mapping.protect(0, pageSize, 'none');
    mapping.protect(2 * pageSize, pageSize, 'r');
    mapping.protect(4 * pageSize, pageSize, 'none');
    mapping.protect(6 * pageSize, pageSize, 'none');
    const window = { start: base, end: base + BigInt(5 * pageSize) };
    expect(scanReadable(window)).toEqual([
      { start: base, end: base + BigInt(3 * pageSize) },
      { start: base + BigInt(4 * pageSize), end: base + BigInt(5 * pageSize) },
    ]);
    const expected = [0, pageSize - 5, 2 * pageSize - 9, 4 * pageSize, 5 * pageSize - marker.length].map((offset) => base + BigInt(offset));
    expect(scanMemory(Uint8Array.from(marker), window)).toEqual(expected);
    expect(scanMemory('3c 6d 65 6d ?? ?? ?? ?? ?? ?? ?? ?? ?? ?? ?? ?? 3e', window)).toEqual(expected);
  } finally {
    mapping.unmap();
  }
});


test('onProgress counts up to the readable bytes of the window; limit stops early', async () => {
  const { mapping, start, end } = fenced((20 * MiB) / pageSize);
  try {
    for (let offset = 0; offset < 20 * MiB; offset += MiB) expect(safeMemcpy(start + BigInt(offset), Buffer.from('needle'), 6).ok).toBe(true);
    const progress: Array<[bigint, bigint]> = [];
    const found = scanMemory('6e 65 65 64 6c 65', { start, end, onProgress: (done, total) => progress.push([done, total]) });
    expect(found).toHaveLength(20);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.every(([, total]) => total === end - start)).toBe(true);
    expect(progress.every(([done], index) => index === 0 || done >= progress[index - 1][0])).toBe(true);
    expect(progress[progress.length - 1][0]).toBe(end - start);
    expect(scanMemory('6e 65 65 64 6c 65', { start, end, limit: 3 })).toEqual(found.slice(0, 3));
    expect(scanMemory('6e 65 65 64 6c 65', { start, end, limit: 0 })).toEqual([]);
    const first: bigint[] = [];
    for await (const match of scanMemoryIter('6e 65 65 64 6c 65', { start, end })) {
      first.push(match);
      if (first.length === 2) break;
    }
    expect(first).toEqual(found.slice(0, 2));
  } finally {
    mapping.unmap();
  }
});

test('the iterator leaves the event loop free while it scans', async () => {
  const { mapping, start, end } = fenced((64 * MiB) / pageSize);
  try {
    // Counts event-loop turns: each runs the check phase once, where setImmediate callbacks run.
    let turns = 0;
    let ticking = true;
    const tick = (): void => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const found = await collect(scanMemoryIter('de ad be ef', { start, end }));
    ticking = false;
    expect(found).toEqual([]);
    // 16 chunks on the pool: the loop ran between them.
    expect(turns).toBeGreaterThan(0);
  } finally {
    mapping.unmap();
  }
});

describe('another process (process_vm_readv)', () => {
  testNeeding(syscallCopyMissing)('finds a marker in a child process, and reading our own pid gives what the local scan gives', async () => {
    const marker = Buffer.from(Array.from({ length: 16 }, (_, i) => (i * 37 + Date.now()) & 0xff));
    const child = spawnNode(['-e', `
const memprobe = require(${JSON.stringify(PACKAGE_ROOT)});
const kept = Buffer.from(process.argv[1], 'hex');
process.stdout.write(memprobe.addressOf(kept).toString() + '\\n');
process.stdin.on('data', () => {}).on('end', () => { kept[0]; process.exit(0); });`, marker.toString('hex')], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const address = BigInt((await new Promise<string>((resolve) => child.stdout.once('data', (chunk) => resolve(String(chunk))))).trim());
      const pid = child.pid!;
      expect(scanMemory(Uint8Array.from(marker), { pid })).toContain(address);
      expect(scanMemory(Uint8Array.from(marker), { pid, start: address - 100n, end: address + 16n })).toEqual([address]);
      expect(await collect(scanMemoryIter(Uint8Array.from(marker), { pid, start: address, end: address + 16n }))).toEqual([address]);
    } finally {
      child.stdin.end();
    }
    const { mapping, start, end } = fenced(256);
    try {
      const data = Buffer.from(Array.from({ length: 256 * pageSize }, (_, i) => (i * 7) % 11 === 0 ? 0x41 : 0x42));
      expect(safeMemcpy(start, data, data.length).ok).toBe(true);
      const local = scanMemory('41 42 ?? 42', { start, end });
      expect(local.length).toBeGreaterThan(1000);
      expect(scanMemory('41 42 ?? 42', { start, end, pid: process.pid })).toEqual(local);
    } finally {
      mapping.unmap();
    }
  });

  test('a process that does not exist: ESRCH', () => {
    expect(() => scanMemory('41', { pid: 0x7ffffff0 })).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });
});

describe('memory that goes away while the scan runs (child processes)', () => {
  const expectClean = (result: ReturnType<typeof runChild>) =>
    expect({ status: result.status, signal: result.signal, stderr: result.stderr }).toEqual({ status: 0, signal: null, stderr: '' });

  // Markers every MiB of a fenced mapping; `setup` is the child's code before the scan, with start/end/markers.
  const REGION = (mib: number) => `
const MiB = 1 << 20, page = memprobe.pageSize;
const mapping = memprobe.mapPages(${mib} * MiB / page + 2);
mapping.protect(0, page, 'none');
mapping.protect(${mib} * MiB + page, page, 'none');
const start = mapping.address + BigInt(page), end = start + BigInt(${mib} * MiB);
const marker = Buffer.from('c0ffee-memprobe!');
const markers = [];
for (let mib = 0; mib < ${mib}; mib++) { memprobe.safeMemcpy(start + BigInt(mib * MiB + 100), marker, 16); markers.push(start + BigInt(mib * MiB + 100)); }
const offsets = (found) => found.map((a) => Number(a - start) / MiB | 0);
`;

  test('unmapped between two chunks, sync (from onProgress) and on the pool: the matches before, none after, no crash', () => {
    const result = runChild(`${REGION(48)}
let unmapped = false;
const sync = memprobe.scanMemory(marker, { start, end, onProgress: () => { if (!unmapped) { mapping.unmap(page + 24 * MiB, 24 * MiB); unmapped = true; } } });
const again = memprobe.mapPages(48 * MiB / page + 2);
again.protect(0, page, 'none');
again.protect(48 * MiB + page, page, 'none');
const start2 = again.address + BigInt(page);
for (let mib = 0; mib < 48; mib++) memprobe.safeMemcpy(start2 + BigInt(mib * MiB + 100), marker, 16);
(async () => {
  const pooled = [];
  for await (const match of memprobe.scanMemoryIter(marker, { start: start2, end: start2 + BigInt(48 * MiB) })) {
    if (pooled.length === 0) again.unmap(page + 8 * MiB, 40 * MiB);
    pooled.push(Number(match - start2) / MiB | 0);
  }
  console.log(JSON.stringify({ sync: offsets(sync), pooled }));
})();`);
    expectClean(result);
    const { sync, pooled } = JSON.parse(result.stdout);
    // The first 16 MiB chunk was searched before the unmapping; the next one stops at 24 MiB.
    expect(sync).toEqual(Array.from({ length: 24 }, (_, i) => i));
    // The first 4 MiB chunk was searched before; the next one (4-8 MiB) still readable, then nothing.
    expect(pooled).toEqual(Array.from({ length: 8 }, (_, i) => i));
  });

  test('a file mapping truncated between two chunks: SIGBUS in the scan, the pages before it searched', () => {
    const result = runChild(`
const fs = require('node:fs');
const MiB = 1 << 20, file = '/dev/shm/memprobe-scan-' + process.pid;
const marker = Buffer.from('c0ffee-memprobe!');
const data = Buffer.alloc(40 * MiB);
for (let mib = 0; mib < 40; mib++) marker.copy(data, mib * MiB + 100);
fs.writeFileSync(file, data);
const mapping = memprobe.mapFile(file, 40 * MiB, { shared: true });
let cut = false;
const found = memprobe.scanMemory(marker, { start: mapping.address, end: mapping.address + BigInt(40 * MiB),
  onProgress: () => { if (!cut) { fs.truncateSync(file, 20 * MiB); cut = true; } } });
fs.rmSync(file);
console.log(JSON.stringify(found.map((a) => Number(a - mapping.address) / MiB | 0)));`);
    expectClean(result);
    expect(JSON.parse(result.stdout)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  test('a worker unmaps part of the region while the main thread scans it: every match outside that part is found', () => {
    // The ranges are listed with the hole still mapped. Between two chunks (from onProgress) the main thread lets the
    // worker go and waits until it has unmapped the hole, so the next chunk's native search meets the unmapped
    // pages: a fault the scan survives, every time (a race left to the scheduler would only sometimes meet them).
    const result = runChild(`
const { Worker } = require('node:worker_threads');
const koffi = ${JSON.stringify(require.resolve('koffi', { paths: [PACKAGE_ROOT] }))};
${REGION(64)}
const flag = new Int32Array(new SharedArrayBuffer(4));
const worker = new Worker(\`
const { workerData } = require('node:worker_threads');
const munmap = require(workerData.koffi).load('libc.so.6').func('int munmap(uintptr_t, size_t)');
Atomics.wait(workerData.flag, 0, 0);
Atomics.store(workerData.flag, 0, munmap(workerData.hole, workerData.length) === 0 ? 2 : 3);
Atomics.notify(workerData.flag, 0);\`, { eval: true, workerData: { flag, koffi, hole: start + BigInt(42 * MiB), length: 6 * MiB } });
worker.on('online', () => {
  let chunks = 0;
  const found = memprobe.scanMemory(marker, { start, end, onProgress: () => {
    if (++chunks !== 2) return;
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    Atomics.wait(flag, 0, 1);  // until the worker has unmapped the hole
  } });
  worker.once('exit', () => console.log(JSON.stringify({ found: offsets(found), unmapped: flag[0] })));
});`);
    expectClean(result);
    const { found, unmapped } = JSON.parse(result.stdout) as { found: number[]; unmapped: number };
    expect(unmapped).toBe(2);
    // 16 MiB chunks: the third, [32, 48) MiB, meets the hole at 42 MiB; the scan goes on after it.
    expect(found).toEqual(Array.from({ length: 64 }, (_, i) => i).filter((mib) => mib < 42 || mib >= 48));
  });
});

describe('bad input', () => {
  const code = (c: string) => expect.objectContaining({ code: c });

  test('patterns and options, checked before anything is read (the iterator too, when it is called)', () => {
    expect(() => scanMemory('13 ? 37')).toThrow(/Received '13 \? 37' \(at character 4/);
    expect(() => scanMemoryIter('zz')).toThrow(code('ERR_INVALID_ARG_VALUE'));
    expect(() => scanMemory(42 as never)).toThrow(code('ERR_INVALID_ARG_TYPE'));
    expect(() => scanMemory('41', null as never)).toThrow(code('ERR_INVALID_ARG_TYPE'));
    expect(() => scanMemory('41', { start: -1n })).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => scanMemory('41', { start: 'x' as never })).toThrow(code('ERR_INVALID_ARG_TYPE'));
    expect(() => scanMemory('41', { start: 10n, end: 5n })).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => scanMemory('41', { pid: -3 })).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => scanMemory('41', { onProgress: 1 as never })).toThrow(code('ERR_INVALID_ARG_TYPE'));
    expect(() => scanMemoryIter('41', { limit: -1 })).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => scanMemory('41', { limit: 1.5 })).toThrow(code('ERR_OUT_OF_RANGE'));
  });

  test('an empty or tiny window is no error', () => {
    expect(scanMemory('41', { start: BigInt(pageSize), end: BigInt(pageSize) })).toEqual([]);
    const buffer = Buffer.from('A');
    expect(scanMemory('41 41', { start: addressOf(buffer), end: addressOf(buffer) + 1n })).toEqual([]);
    expect(safeRead(addressOf(buffer), 1).data.toString()).toBe('A');
  });
});
