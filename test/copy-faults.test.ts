// What a copy reports at every kind of bad address, for both strategies: the exact prefix, the exact data,
// destination bytes past the prefix untouched, and the fault that ended it.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { addressOf, mapFile, mapPages, pageSize, safeMemcpy, safeRead, type CopyResult, type FaultCode, type Strategy } from '../lib';
import { stackGapMissing, syscallCopyMissing, testNeeding } from './helpers/capabilities';
import { commandFor, PACKAGE_ROOT, runChild } from './helpers/child';
import { BETWEEN_HALVES, Layout, expectedPattern, patternByte, stackStart } from './helpers/layout';

const STRATEGIES: Strategy[] = ['signal', 'syscall'];
const SENTINEL = 0xee;
const P = pageSize;

function codeFor(strategy: Strategy, signalCode: FaultCode): FaultCode {
  return strategy === 'syscall' ? 'EFAULT' : signalCode;
}

function expectFault(result: CopyResult, strategy: Strategy, expected: { bytesCopied: number; code: FaultCode; address: bigint; access?: 'read' | 'write'; signal?: 'SIGSEGV' | 'SIGBUS' }): void {
  expect(result.ok).toBe(false);
  expect(result.bytesCopied).toBe(expected.bytesCopied);
  expect(result.fault).toEqual({
    code: codeFor(strategy, expected.code),
    signal: strategy === 'syscall' ? null : (expected.signal ?? 'SIGSEGV'),
    address: expected.address,
    access: expected.access ?? 'read',
  });
}

describe.each(STRATEGIES)('%s strategy', (strategy) => {
  const options = { strategy };
  const needs = strategy === 'syscall' ? syscallCopyMissing : null;
  const it = testNeeding(needs);
  let layouts: Layout[] = [];
  const layout = (...kinds: ConstructorParameters<typeof Layout>[0][number][]): Layout => {
    const made = new Layout(kinds);
    layouts.push(made);
    return made;
  };
  afterEach(() => {
    layouts.forEach((l) => l.release());
    layouts = [];
  });

  it('an unmapped page: nothing copied, SEGV_MAPERR at its first byte', () => {
    const l = layout('unmapped', 'rw');
    const result = safeRead(l.address + 16n, 64, options);
    expectFault(result, strategy, { bytesCopied: 0, code: 'SEGV_MAPERR', address: l.address + 16n });
    expect(result.data.length).toBe(0);
  });

  it('a PROT_NONE page: SEGV_ACCERR', () => {
    const l = layout('none');
    expectFault(safeRead(l.address + 5n, 10, options), strategy, { bytesCopied: 0, code: 'SEGV_ACCERR', address: l.address + 5n });
  });

  it.each([0n, 1n, 0x42n, 4095n, 0x10000n])('NULL and tiny addresses (%p)', (address) => {
    const dst = Buffer.alloc(16, SENTINEL);
    expectFault(safeMemcpy(dst, address, 16, options), strategy, { bytesCopied: 0, code: 'SEGV_MAPERR', address });
    expect(dst.every((b) => b === SENTINEL)).toBe(true);
  });

  it.each([0x0000_8000_0000_0000n, 0x1234_5678_9abc_def0n, 0xffff_7fff_ffff_fff8n])(
    'a non-canonical address (%p) is reported as requested, never as 0',
    (address) => {
      expectFault(safeRead(address, 8, options), strategy, { bytesCopied: 0, code: BETWEEN_HALVES.code, address });
      const src = Buffer.alloc(8, 1);
      expectFault(safeMemcpy(address, src, 8, options), strategy, { bytesCopied: 0, code: BETWEEN_HALVES.code, address, access: 'write' });
    },
  );

  it.each([0xffff_8000_0000_0000n, 0xffff_ffff_ff60_0000n, 0xffff_ffff_ffff_fff0n])(
    'a kernel-half address (%p): SEGV_MAPERR at that address',
    (address) => {
      expectFault(safeRead(address, 16, options), strategy, { bytesCopied: 0, code: 'SEGV_MAPERR', address });
    },
  );

  testNeeding(needs, stackGapMissing)('the guard gap just below [stack] faults, and the stack does not grow', () => {
    const start = stackStart();
    for (const distance of [8n, BigInt(P), 16n * 1024n, 256n * 1024n, 4n * 1024n * 1024n]) {
      expectFault(safeRead(start - distance, 8, options), strategy, { bytesCopied: 0, code: 'SEGV_MAPERR', address: start - distance });
      const src = Buffer.alloc(8);
      expectFault(safeMemcpy(start - distance, src, 8, options), strategy, {
        bytesCopied: 0, code: 'SEGV_MAPERR', address: start - distance, access: 'write',
      });
    }
    // A range that starts in the gap and ends in the stack stops at once.
    expectFault(safeRead(start - 10n, 20, options), strategy, { bytesCopied: 0, code: 'SEGV_MAPERR', address: start - 10n });
    expect(stackStart()).toBe(start);
    // The stack itself is readable.
    expect(safeRead(start, 64, options).ok).toBe(true);
  });

  it.each(['none', 'unmapped'] as const)('the rw|%s boundary, from every offset and length near it', (bad) => {
    const l = layout('rw', bad);
    const lengths = [1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 200, 1023, 1024, 1500, 5000];
    for (let offset = P - 130; offset <= P + 2; offset++) {
      for (const length of lengths) {
        const dst = Buffer.alloc(length + 8, SENTINEL);
        const result = safeMemcpy(dst, l.address + BigInt(offset), length, options);
        const prefix = l.readablePrefix(offset, length);
        expect([offset, length, result.bytesCopied]).toEqual([offset, length, prefix]);
        expect(dst.subarray(0, prefix).equals(expectedPattern(offset, prefix))).toBe(true);
        expect(dst.subarray(prefix).every((b) => b === SENTINEL)).toBe(true);
        if (prefix === length) {
          expect(result).toEqual({ ok: true, bytesCopied: length, fault: null });
        } else {
          expectFault(result, strategy, { bytesCopied: prefix, code: l.faultCode(P), address: l.address + BigInt(offset + prefix) });
        }
      }
    }
  });

  it('guard|rw|rw|guard: the two middle pages are read entirely, and nothing around them', () => {
    const l = layout('none', 'rw', 'rw', 'none');
    const all = safeRead(l.address + BigInt(P), 2 * P, options);
    expect(all.ok).toBe(true);
    expect(all.data.equals(expectedPattern(P, 2 * P))).toBe(true);
    const over = safeRead(l.address + BigInt(P), 2 * P + 1, options);
    expectFault(over, strategy, { bytesCopied: 2 * P, code: 'SEGV_ACCERR', address: l.address + BigInt(3 * P) });
    expect(over.data.equals(expectedPattern(P, 2 * P))).toBe(true);
    const before = safeRead(l.address + BigInt(P - 1), 2, options);
    expectFault(before, strategy, { bytesCopied: 0, code: 'SEGV_ACCERR', address: l.address + BigInt(P - 1) });
  });

  it('a shared file mapping truncated under it: SIGBUS BUS_ADRERR past the last page of the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memprobe-'));
    const file = path.join(dir, 'data');
    try {
      fs.writeFileSync(file, expectedPattern(0, 3 * P));
      const mapping = mapFile(file, 3 * P, { shared: true });
      try {
        expect(safeRead(mapping.address, 3 * P, options).data.equals(expectedPattern(0, 3 * P))).toBe(true);
        fs.truncateSync(file, P + 100);
        const result = safeRead(mapping.address + BigInt(P - 10), 2 * P, options);
        expectFault(result, strategy, { bytesCopied: P + 10, code: 'BUS_ADRERR', signal: 'SIGBUS', address: mapping.address + BigInt(2 * P) });
        const expected = Buffer.concat([expectedPattern(P - 10, 110), Buffer.alloc(P - 100)]);  // zeros past the end
        expect(result.data.equals(expected)).toBe(true);
      } finally {
        mapping.unmap();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writing into read-only pages: a write fault at the first read-only byte, nothing written past it', () => {
    const l = layout('rw', 'r');
    const src = Buffer.alloc(40, 0x11);
    const result = safeMemcpy(l.address + BigInt(P - 8), src, 40, options);
    expectFault(result, strategy, { bytesCopied: 8, code: 'SEGV_ACCERR', address: l.address + BigInt(P), access: 'write' });
    const after = safeRead(l.address + BigInt(P - 16), 64, options);
    expect(after.ok).toBe(true);
    expect(after.data.equals(Buffer.concat([expectedPattern(P - 16, 8), Buffer.alloc(8, 0x11), expectedPattern(P, 48)]))).toBe(true);
  });

  it('raw-to-raw copies stop at the first failing side; the read fault wins a tie', () => {
    const src = layout('rw', 'none');
    const dst = layout('rw', 'r');
    // Source fails 100 bytes in, destination 50 bytes in: the write fault comes first.
    let result = safeMemcpy(dst.address + BigInt(P - 50), src.address + BigInt(P - 100), 200, options);
    expectFault(result, strategy, { bytesCopied: 50, code: 'SEGV_ACCERR', address: dst.address + BigInt(P), access: 'write' });
    expect(safeRead(dst.address + BigInt(P - 50), 50, options).data.equals(expectedPattern(P - 100, 50))).toBe(true);
    // Both fail 30 bytes in: the read is reported.
    result = safeMemcpy(dst.address + BigInt(P - 30), src.address + BigInt(P - 30), 64, options);
    expectFault(result, strategy, { bytesCopied: 30, code: 'SEGV_ACCERR', address: src.address + BigInt(P) });
    // And a clean raw-to-raw copy.
    const target = layout('rw');
    expect(safeMemcpy(target.address + 3n, src.address + 5n, 3000, options).ok).toBe(true);
    expect(safeRead(target.address + 3n, 3000, options).data.equals(expectedPattern(5, 3000))).toBe(true);
  });

  it('typed-array views with a byteOffset are read and written where JavaScript sees them', () => {
    const l = layout('rw');
    const buffer = new ArrayBuffer(64);
    const words = new Uint32Array(buffer, 16, 8);
    expect(addressOf(words)).toBe(addressOf(buffer) + 16n);
    expect(safeMemcpy(words, l.address, 32, options).ok).toBe(true);
    const bytes = new Uint8Array(buffer);
    expect(bytes.subarray(0, 16).every((b) => b === 0)).toBe(true);
    expect(Buffer.from(buffer, 16, 32).equals(expectedPattern(0, 32))).toBe(true);
    expect(bytes.subarray(48).every((b) => b === 0)).toBe(true);
    // A DataView with an offset as the source, a raw address as the destination.
    const view = new DataView(buffer, 20, 8);
    expect(safeMemcpy(l.address + 100n, view, 8, options).ok).toBe(true);
    expect(safeRead(l.address + 100n, 8, options).data.equals(Buffer.from(buffer, 20, 8))).toBe(true);
    // A whole ArrayBuffer and a SharedArrayBuffer.
    const shared = new SharedArrayBuffer(16);
    expect(safeMemcpy(shared, buffer, 16, options).ok).toBe(true);
    expect(Buffer.from(shared).equals(Buffer.from(buffer, 0, 16))).toBe(true);
  });

  it('length 0 succeeds without touching memory, even at address 0', () => {
    expect(safeMemcpy(Buffer.alloc(0), 0n, 0, options)).toEqual({ ok: true, bytesCopied: 0, fault: null });
    expect(safeMemcpy(0n, 0x42n, 0, options)).toEqual({ ok: true, bytesCopied: 0, fault: null });
    const read = safeRead(0n, 0, options);
    expect(read.ok).toBe(true);
    expect(read.data.length).toBe(0);
  });

  it('10,000 faults in a row, then a valid copy', () => {
    const l = layout('rw', 'none');
    const dst = Buffer.alloc(16);
    for (let i = 0; i < 10_000; i++) {
      const result = safeMemcpy(dst, l.address + BigInt(P + (i % 64)), 16, options);
      if (result.ok || result.bytesCopied !== 0) throw new Error(`fault ${i} was not reported: ${JSON.stringify(result)}`);
    }
    expect(safeMemcpy(dst, l.address + 8n, 16, options)).toEqual({ ok: true, bytesCopied: 16, fault: null });
    expect(dst.equals(expectedPattern(8, 16))).toBe(true);
  });

  it('overlapping ranges behave as memmove, in both directions', () => {
    for (const [from, to] of [[0, 10], [10, 0], [0, 1], [1, 0], [100, 4000], [4000, 100]]) {
      const bytes = Buffer.from(expectedPattern(0, 9000));
      const expected = Buffer.from(bytes);
      expected.copyWithin(to, from, from + 4500);
      expect(safeMemcpy(bytes.subarray(to), bytes.subarray(from), 4500, options).ok).toBe(true);
      expect(bytes.equals(expected)).toBe(true);
    }
    // Raw overlapping addresses, interrupted by a fault: the prefix and the fault stay exact.
    const l = layout('rw', 'rw', 'none');
    const result = safeMemcpy(l.address + BigInt(P - 50), l.address + BigInt(P - 100), P + 200, options);
    expectFault(result, strategy, { bytesCopied: P + 50, code: 'SEGV_ACCERR', address: l.address + BigInt(2 * P), access: 'write' });
  });

  it('more than 0x7ffff000 bytes (the most one system call moves) are copied whole, and exact at a fault past that', () => {
    const pages = 0x80000 + 2;  // 2 GiB + 8 KiB; untouched source pages cost no memory
    const src = mapPages(pages);
    const dst = mapPages(pages);
    try {
      const marks = [0, 0x7ffff000 - 3, 0x7ffff000 + 5, (pages - 1) * P - 1];
      for (const [i, offset] of marks.entries()) safeMemcpy(src.address + BigInt(offset), Buffer.from([0x40 + i]), 1);
      src.protect((pages - 1) * P, P, 'none');
      const result = safeMemcpy(dst.address, src.address, pages * P, options);
      expectFault(result, strategy, { bytesCopied: (pages - 1) * P, code: 'SEGV_ACCERR', address: src.address + BigInt((pages - 1) * P) });
      for (const [i, offset] of marks.entries()) expect(safeRead(dst.address + BigInt(offset), 1).data[0]).toBe(0x40 + i);
    } finally {
      src.unmap();
      dst.unmap();
    }
  });

  it('a copy of many pages stops exactly at the first bad one', () => {
    const l = layout('rw', 'rw', 'r', 'rw', 'none', 'rw');
    const result = safeRead(l.address + 7n, 6 * P - 7, options);
    expectFault(result, strategy, { bytesCopied: 4 * P - 7, code: 'SEGV_ACCERR', address: l.address + BigInt(4 * P) });
    expect(result.data.equals(expectedPattern(7, 4 * P - 7))).toBe(true);
    expect(patternByte(4 * P - 1)).toBe(result.data[result.data.length - 1]);
  });
});

describe.each(STRATEGIES)('reads as long as a Buffer can be, %s strategy', (strategy) => {
  const it = strategy === 'syscall' ? testNeeding(syscallCopyMissing) : test;
  // A read that faults early leaves most of its Buffer unwritten: that tail must read as zeros without being
  // written (a fill of gigabytes would make the process take them all).
  it('a read of min(2^33, buffer.constants.MAX_LENGTH) bytes from one page returns the page and stays small', () => {
    const script = `
const { mapPages, pageSize: P, safeRead, safeReadAsync } = memprobe;
const mapping = mapPages(2);
mapping.protect(P, P, 'none');
const length = Math.min(2 ** 33, require('node:buffer').constants.MAX_LENGTH);
(async () => {
  const outcomes = [];
  const strategy = ${JSON.stringify(strategy)};
  for (const read of [safeRead(mapping.address, length, { strategy }), await safeReadAsync(mapping.address, length, { strategy })]) {
    outcomes.push({ bytesCopied: read.bytesCopied, dataLength: read.data.length, tailZero: read.data.buffer.byteLength === length && new Uint8Array(read.data.buffer, length - P).every((b) => b === 0) });
  }
  console.log(JSON.stringify({ outcomes, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
})();`;
    const child = runChild(script);
    expect(child).toMatchObject({ status: 0, stderr: '' });
    const report = JSON.parse(child.stdout) as { outcomes: unknown[]; maxRssMiB: number };
    expect(report.outcomes).toEqual(Array(2).fill({ bytesCopied: pageSize, dataLength: pageSize, tailZero: true }));
    expect(report.maxRssMiB).toBeLessThan(1024);  // the Buffer is 4 or 8 GiB
  });
});

describe('overlapping raw ranges under an address-space limit', () => {
  // The syscall strategy moves overlapping ranges through scratch memory; a limit on address space
  // (ulimit -v, or overcommit_memory=2) must not turn the fault that ends such a copy into an error.
  testNeeding(syscallCopyMissing)('a copy of 2^40 bytes that faults after two pages returns the fault, in both directions, like the signal strategy', () => {
    const script = `
const { mapPages, pageSize: P, safeMemcpy } = require(process.argv[1]);
const mapping = mapPages(3);
mapping.protect(2 * P, P, 'none');
const a = mapping.address;
const outcomes = [];
for (const strategy of ['signal', 'syscall']) {
  for (const [dst, src] of [[a + 8n, a], [a, a + 8n]]) {
    const { bytesCopied, fault } = safeMemcpy(dst, src, 2 ** 40, { strategy });
    outcomes.push({ strategy, bytesCopied, access: fault.access, at: String(fault.address - a), code: fault.code });
  }
}
console.log(JSON.stringify(outcomes));`;
    // 3 GiB: room for Node (up to ~1.3 GB of address space at start on the Node versions supported).
    const [file, args] = commandFor(process.execPath, ['-e', script, PACKAGE_ROOT]);
    const run = spawnSync('/bin/sh', ['-c', 'ulimit -v 3145728 && exec "$@"', 'sh', file, ...args], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const P = pageSize;
    const outcome = (strategy: Strategy, access: 'read' | 'write', at: number) =>
      ({ strategy, bytesCopied: 2 * P - 8, access, at: String(at), code: strategy === 'signal' ? 'SEGV_ACCERR' : 'EFAULT' });
    expect(JSON.parse(run.stdout)).toEqual([
      outcome('signal', 'write', 2 * P), outcome('signal', 'read', 2 * P),
      outcome('syscall', 'write', 2 * P), outcome('syscall', 'read', 2 * P),
    ]);
  });
});
