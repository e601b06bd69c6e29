// Typed reads and writes at raw addresses: the value Buffer's own accessors give for the same bytes, and on a fault
// exactly what the copy reports for the same bytes (safeRead / safeMemcpy), never a crash.
import { Worker } from 'node:worker_threads';

import * as memprobe from '../lib';
import {
  addressOf,
  mapFile,
  pageSize,
  readPointer,
  readU32,
  readU64,
  readU8,
  safeMemcpy,
  safeRead,
  writeF32,
  writeU16,
  writeU32,
  writeU64,
  type ByteOrderOptions,
  type CopyResult,
  type ReadValue,
} from '../lib';
import { stackGapMissing, syscallCopyMissing, testNeeding } from './helpers/capabilities';
import { runChild } from './helpers/child';
import { BETWEEN_HALVES, expectedPattern, Layout } from './helpers/layout';

type Reader = (address: bigint, options?: ByteOrderOptions) => ReadValue<number | bigint>;
type Writer = (address: bigint, value: never, options?: ByteOrderOptions) => CopyResult;

interface Kind {
  name: string;
  width: number;
  read: Reader;
  write: Writer;
  /** Buffer's accessors for the same kind: the reference */
  get(buffer: Buffer, offset: number, bigEndian: boolean): number | bigint;
  set(buffer: Buffer, value: number | bigint, offset: number, bigEndian: boolean): void;
  /** values to write: the edges of the range and a few inside */
  values: Array<number | bigint>;
}

function kind(name: string, width: number, accessor: string, values: Array<number | bigint>, pointer = false): Kind {
  const suffix = width === 1 ? ['', ''] : ['LE', 'BE'];
  const read = (pointer ? memprobe.readPointer : (memprobe as unknown as Record<string, Reader>)[`read${name}`]) as Reader;
  const write = (pointer ? memprobe.writePointer : (memprobe as unknown as Record<string, Writer>)[`write${name}`]) as Writer;
  const method = (prefix: string, bigEndian: boolean): string => `${prefix}${accessor}${suffix[bigEndian ? 1 : 0]}`;
  return {
    name: pointer ? 'Pointer' : name,
    width,
    read,
    write,
    get: (buffer, offset, bigEndian) => (buffer as unknown as Record<string, (o: number) => number | bigint>)[method('read', bigEndian)](offset),
    set: (buffer, value, offset, bigEndian) => {
      (buffer as unknown as Record<string, (v: number | bigint, o: number) => void>)[method('write', bigEndian)](value, offset);
    },
    values,
  };
}

const KINDS: Kind[] = [
  kind('U8', 1, 'UInt8', [0, 1, 0x7f, 0x80, 0xff]),
  kind('U16', 2, 'UInt16', [0, 1, 0x1234, 0x8000, 0xffff]),
  kind('U32', 4, 'UInt32', [0, 1, 0x12345678, 0x8000_0000, 0xffff_ffff]),
  kind('U64', 8, 'BigUInt64', [0n, 1n, 0x0123_4567_89ab_cdefn, 1n << 63n, (1n << 64n) - 1n]),
  kind('I8', 1, 'Int8', [0, -1, 0x7f, -0x80, 5]),
  kind('I16', 2, 'Int16', [0, -1, 0x7fff, -0x8000, 0x1234]),
  kind('I32', 4, 'Int32', [0, -1, 0x7fff_ffff, -0x8000_0000, 0x1234_5678]),
  kind('I64', 8, 'BigInt64', [0n, -1n, (1n << 63n) - 1n, -(1n << 63n), 0x0123_4567n]),
  kind('F32', 4, 'Float', [0, -0, 1.5, -3.25e-20, Infinity, -Infinity, 3.4028234663852886e38]),
  kind('F64', 8, 'Double', [0, -0, Math.PI, -1e308, 5e-324, Infinity, Number.MAX_SAFE_INTEGER]),
  kind('U64', 8, 'BigUInt64', [0n, 0x7ffd_1234_5678n, (1n << 64n) - 1n], true),
];

function randomBytes(length: number, seed: number): Buffer {
  let state = seed;
  return Buffer.from(Array.from({ length }, () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 24));
}

describe.each(KINDS)('read$name and write$name', (k) => {
  test('read: what Buffer reads from the same bytes, at every alignment, in both byte orders', () => {
    const buffer = randomBytes(64, k.width * 7919);
    const base = addressOf(buffer);
    for (let offset = 0; offset + k.width <= buffer.length; offset++) {
      for (const bigEndian of [false, true]) {
        const result = k.read(base + BigInt(offset), bigEndian ? { bigEndian } : undefined);
        expect({ offset, bigEndian, result }).toEqual({ offset, bigEndian, result: { ok: true, value: k.get(buffer, offset, bigEndian), fault: null } });
      }
    }
  });

  test('write: the bytes Buffer writes for the same value, at every alignment, in both byte orders', () => {
    for (const value of k.values) {
      for (const bigEndian of [false, true]) {
        for (let offset = 0; offset < 9; offset++) {
          const target = randomBytes(24, offset + 1);
          const expected = Buffer.from(target);
          k.set(expected, value, offset, bigEndian);
          const result = k.write(addressOf(target) + BigInt(offset), value as never, bigEndian ? { bigEndian } : undefined);
          expect(result).toEqual({ ok: true, bytesCopied: k.width, fault: null });
          expect({ value, bigEndian, offset, bytes: target }).toEqual({ value, bigEndian, offset, bytes: expected });
        }
      }
    }
  });

  test('across a page boundary into a protected or unmapped page: the fault the copy reports, nothing read', () => {
    const [protectedNext, unmappedNext] = Layout.many(['rw', 'none'], ['rw', 'unmapped']);
    try {
      for (const layout of [protectedNext, unmappedNext]) {
        for (let before = 0; before < k.width; before++) {
          const address = layout.address + BigInt(pageSize - before);
          const copy = safeRead(address, k.width);
          const result = k.read(address);
          expect(copy.ok).toBe(false);
          expect(result).toEqual({ ok: false, fault: copy.fault });
          expect(result.fault).toEqual({ code: layout.faultCode(pageSize), signal: 'SIGSEGV', address: layout.address + BigInt(pageSize), access: 'read' });
        }
      }
    } finally {
      protectedNext.release();
      unmappedNext.release();
    }
  });

  test('a write across into a read-only or unmapped page: the prefix is written and the fault returned, as safeMemcpy does', () => {
    const value = k.values[k.values.length - 2];
    for (const next of ['r', 'unmapped'] as const) {
      for (let before = 1; before < k.width; before++) {
        // The same write through writeX and through safeMemcpy, each on its own fresh layout.
        const [mine, reference] = Layout.many(['rw', next], ['rw', next]);
        try {
          const bytes = Buffer.alloc(k.width);
          k.set(bytes, value, 0, false);
          const result = k.write(mine.address + BigInt(pageSize - before), value as never);
          const copied = safeMemcpy(reference.address + BigInt(pageSize - before), bytes, k.width);
          const shift = (r: CopyResult, base: bigint) => (r.ok ? r : { ...r, fault: { ...r.fault, address: r.fault.address - base } });
          expect(shift(result, mine.address)).toEqual(shift(copied, reference.address));
          expect(result).toMatchObject({ ok: false, bytesCopied: before, fault: { access: 'write', address: mine.address + BigInt(pageSize) } });
          expect(safeRead(mine.address, pageSize).data).toEqual(safeRead(reference.address, pageSize).data);
          expect(safeRead(mine.address + BigInt(pageSize - before), before).data).toEqual(bytes.subarray(0, before));
        } finally {
          mine.release();
          reference.release();
        }
      }
    }
  });
});

test('unmapped, kernel-half and non-canonical addresses: the copy\'s faults, never a crash', () => {
  for (const address of [0n, 0x10n, 0xffff_8000_0000_0000n, 0x0000_8000_0000_0000n, 0x0000_7fff_ffff_fffcn, 0xdead_0000_0000_0000n]) {
    for (const k of KINDS) {
      if (address > (1n << 64n) - BigInt(k.width)) continue;
      const copy = safeRead(address, k.width);
      expect({ address, kind: k.name, result: k.read(address) }).toEqual({ address, kind: k.name, result: { ok: false, fault: copy.fault } });
      const written = k.write(address, k.values[1] as never);
      expect({ address, kind: k.name, written }).toEqual({ address, kind: k.name, written: safeMemcpy(address, Buffer.alloc(k.width), k.width) });
    }
  }
  expect(readU64(0x0000_8000_0000_0000n).fault).toEqual({ code: BETWEEN_HALVES.code, signal: 'SIGSEGV', address: 0x0000_8000_0000_0000n, access: 'read' });
  expect(readU64(0xffff_ffff_ffff_fff0n).fault).toEqual({ code: 'SEGV_MAPERR', signal: 'SIGSEGV', address: 0xffff_ffff_ffff_fff0n, access: 'read' });
});

test('a page past the end of a truncated file mapping: SIGBUS, BUS_ADRERR, as the copy reports it', () => {
  const file = `/dev/shm/memprobe-read-values-${process.pid}`;
  require('node:fs').writeFileSync(file, Buffer.alloc(2 * pageSize, 0x5a));
  const mapping = mapFile(file, 2 * pageSize, { shared: true });
  try {
    require('node:fs').truncateSync(file, pageSize);
    const edge = mapping.address + BigInt(pageSize);
    expect(readU32(edge - 4n)).toEqual({ ok: true, value: 0x5a5a5a5a, fault: null });
    expect(readU32(edge - 2n)).toEqual({ ok: false, fault: { code: 'BUS_ADRERR', signal: 'SIGBUS', address: edge, access: 'read' } });
    expect(readU8(edge)).toEqual({ ok: false, fault: safeRead(edge, 1).fault });
  } finally {
    mapping.unmap();
    require('node:fs').rmSync(file, { force: true });
  }
});

test('a read-only page: reads succeed, writes return SEGV_ACCERR and change nothing', () => {
  const layout = new Layout(['r']);
  try {
    expect(readU32(layout.address + 8n)).toEqual({ ok: true, value: expectedPattern(8, 4).readUInt32LE(0), fault: null });
    expect(writeU32(layout.address + 8n, 1)).toEqual({
      ok: false,
      bytesCopied: 0,
      fault: { code: 'SEGV_ACCERR', signal: 'SIGSEGV', address: layout.address + 8n, access: 'write' },
    });
    expect(safeRead(layout.address, 16).data).toEqual(expectedPattern(0, 16));
  } finally {
    layout.release();
  }
});

test('following pointers: readPointer of a pointer written with writePointer, then a read through it', () => {
  const target = Buffer.from('memprobe');
  const slot = Buffer.alloc(8);
  expect(memprobe.writePointer(addressOf(slot), addressOf(target)).ok).toBe(true);
  const pointer = readPointer(addressOf(slot));
  expect(pointer).toEqual({ ok: true, value: addressOf(target), fault: null });
  if (pointer.ok) expect(readU8(pointer.value + 3n)).toEqual({ ok: true, value: 'p'.charCodeAt(0), fault: null });
  expect([slot.length, target.length]).toEqual([8, 8]);  // both kept alive until here
});

test('a float written as float32 is rounded as DataView rounds it', () => {
  const target = Buffer.alloc(4);
  const view = new DataView(new ArrayBuffer(4));
  for (const value of [0.1, 1e39, -1e-46, NaN, 16777217]) {
    expect(writeF32(addressOf(target), value).ok).toBe(true);
    view.setFloat32(0, value, true);
    expect([value, target]).toEqual([value, Buffer.from(view.buffer)]);
  }
});

test('in a worker thread, concurrently with the main thread', async () => {
  const buffer = new SharedArrayBuffer(64);
  new Uint32Array(buffer).fill(0x01020304);
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
const memprobe = require(${JSON.stringify(require.resolve('..'))});
let sum = 0, faults = 0;
for (let i = 0; i < 20000; i++) {
  const r = memprobe.readU32(workerData.address + BigInt((i % 16) * 4));
  if (r.ok && r.value === 0x01020304) sum++;
  if (!memprobe.readU32(0n).ok) faults++;
}
parentPort.postMessage({ sum, faults });`,
    { eval: true, workerData: { address: addressOf(buffer), buffer } },  // the buffer itself keeps its memory alive
  );
  let faults = 0;
  for (let i = 0; i < 20000; i++) if (!readU32(8n).ok) faults++;
  const [message] = (await new Promise((resolve) => worker.once('message', (m) => resolve([m])))) as [{ sum: number; faults: number }];
  expect({ ...message, faults: message.faults + faults }).toEqual({ sum: 20000, faults: 40000 });
});

testNeeding(stackGapMissing)('the gap below [stack]: SEGV_MAPERR, and the stack does not grow (a fresh process)', () => {
  const result = runChild(`
const stackStart = () => BigInt('0x' + require('node:fs').readFileSync('/proc/self/maps', 'utf8').split('\\n').find((l) => l.endsWith('[stack]')).split('-')[0]);
const start = stackStart();
const read = memprobe.readU64(start - 16384n);
const write = memprobe.writeU32(start - 16384n, 1);
console.log(JSON.stringify({ read: read.fault.code, write: write.fault.code, grew: stackStart() !== start }));`);
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  expect(JSON.parse(result.stdout)).toEqual({ read: 'SEGV_MAPERR', write: 'SEGV_MAPERR', grew: false });
});

testNeeding(syscallCopyMissing, stackGapMissing)('with our own pid: the values Buffer reads, and the gap below [stack] ends a read unread (a fresh process)', () => {
  const result = runChild(`
const bytes = Buffer.from([0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01]);
const at = memprobe.addressOf(bytes);
const pid = process.pid;
const stackStart = () => BigInt('0x' + require('node:fs').readFileSync('/proc/self/maps', 'utf8').split('\\n').find((l) => l.endsWith('[stack]')).split('-')[0]);
const start = stackStart();
const gap = start - 16384n;
console.log(JSON.stringify({
  u32: memprobe.readU32(at, { pid }).value, u64: String(memprobe.readU64(at, { pid, bigEndian: true }).value),
  read: memprobe.readU64(gap, { pid }).fault, write: memprobe.writeU32(gap, 1, { pid }),
  copy: memprobe.safeRead(gap, 8, { pid }).fault, grew: stackStart() !== start, gap: String(gap), kept: bytes.length,
}, (_, v) => (typeof v === 'bigint' ? String(v) : v)));`);
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  const out = JSON.parse(result.stdout);
  const fault = { code: 'EFAULT', signal: null, address: out.gap, access: 'read' };
  expect(out).toEqual({
    u32: 0x89abcdef, u64: String(0xefcdab8967452301n), read: fault, copy: fault, grew: false, gap: out.gap, kept: 8,
    write: { ok: false, bytesCopied: 0, fault: { ...fault, access: 'write' } },
  });
});

describe('bad input', () => {
  const code = (c: string) => expect.objectContaining({ code: c });

  test('addresses: TypeError for the wrong type, RangeError outside [0, 2^64) or when the value ends past 2^64', () => {
    for (const k of KINDS) {
      expect(() => k.read('0x10' as never)).toThrow(code('ERR_INVALID_ARG_TYPE'));
      expect(() => k.read(null as never)).toThrow(code('ERR_INVALID_ARG_TYPE'));
      expect(() => k.read(-1n)).toThrow(code('ERR_OUT_OF_RANGE'));
      expect(() => k.read(1n << 64n)).toThrow(code('ERR_OUT_OF_RANGE'));
      expect(() => k.read(1.5 as never)).toThrow(code('ERR_OUT_OF_RANGE'));
      expect(() => k.read(2 ** 53 as never)).toThrow(code('ERR_OUT_OF_RANGE'));
      expect(() => k.write({} as never, k.values[0] as never)).toThrow(code('ERR_INVALID_ARG_TYPE'));
      expect(() => k.write(-1n, k.values[0] as never)).toThrow(code('ERR_OUT_OF_RANGE'));
      const last = (1n << 64n) - BigInt(k.width) + 1n;
      if (k.width > 1) {
        expect(() => k.read(last)).toThrow(`The "address" argument must be an address whose ${k.width} bytes end by 2^64. Received ${last}n`);
        expect(() => k.write(last, k.values[0] as never)).toThrow(code('ERR_OUT_OF_RANGE'));
      }
      expect(k.read(last - 1n).ok).toBe(false);  // the last address that fits: a fault, not an error
    }
  });

  test('options: an object with a boolean bigEndian', () => {
    expect(() => readU32(0n, null as never)).toThrow(code('ERR_INVALID_ARG_TYPE'));
    expect(() => readU32(0n, 'be' as never)).toThrow(code('ERR_INVALID_ARG_TYPE'));
    expect(() => readU32(0n, { bigEndian: 1 } as never)).toThrow('The "options.bigEndian" argument must be of type boolean. Received type number (1)');
    expect(() => writeU32(0n, 1, { bigEndian: 'yes' } as never)).toThrow(code('ERR_INVALID_ARG_TYPE'));
    expect(readU32(0n, {}).ok).toBe(false);
  });

  testNeeding(syscallCopyMissing)('options: names other than bigEndian and pid refused, as Object.keys lists them (own, enumerable, not symbols)', () => {
    const pid = process.pid;
    const refused = (name: string) => `The "options" argument must be an object with no properties other than 'bigEndian', 'pid'. Received an object with the unknown property '${name}'`;
    expect(() => readU32(0n, { PID: pid } as never)).toThrow(refused('PID'));
    expect(() => readU32(0n, { pid, bigEndian: false, other: undefined } as never)).toThrow(refused('other'));
    expect(() => writeU32(0n, 1, { bigEndian: true, pid, extra: 1 } as never)).toThrow(refused('extra'));
    // The same check every time, also once the function is optimised for { pid } alone.
    for (let i = 0; i < 20000; i++) readU32(0n, { pid });
    expect(() => readU32(0n, { pid, x: 1 } as never)).toThrow(code('ERR_INVALID_ARG_VALUE'));
    // Not own, not enumerable or a symbol: not looked at, as before.
    const inherited = Object.assign(Object.create({ extra: 1 }), { pid });
    const hidden = Object.defineProperty({ pid }, 'hidden', { value: 1, enumerable: false });
    for (const options of [inherited, hidden, { pid, [Symbol('s')]: 1 }]) {
      expect(readU32(0n, options)).toEqual({ ok: false, fault: { code: 'EFAULT', signal: null, address: 0n, access: 'read' } });
    }
  });

  testNeeding(syscallCopyMissing)('with { pid }: the same address checks, made before any system call', () => {
    const pid = process.pid;
    for (const k of KINDS) {
      expect(() => k.read('0x10' as never, { pid })).toThrow(code('ERR_INVALID_ARG_TYPE'));
      expect(() => k.read(-1n, { pid })).toThrow(code('ERR_OUT_OF_RANGE'));
      expect(() => k.read(2 ** 53 as never, { pid, bigEndian: true })).toThrow(code('ERR_OUT_OF_RANGE'));
      expect(() => k.write({} as never, k.values[0] as never, { pid })).toThrow(code('ERR_INVALID_ARG_TYPE'));
      const last = (1n << 64n) - BigInt(k.width) + 1n;
      if (k.width > 1) {
        const message = `The "address" argument must be an address whose ${k.width} bytes end by 2^64. Received ${last}n`;
        expect(() => k.read(last, { pid })).toThrow(message);
        expect(() => k.write(last, k.values[0] as never, { pid, bigEndian: true })).toThrow(message);
      }
      expect(k.read(last - 1n, { pid })).toEqual({ ok: false, fault: { code: 'EFAULT', signal: null, address: last - 1n, access: 'read' } });
    }
    expect(() => readU32(0n, { pid: 0 })).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => readU32(0n, { pid: '1' } as never)).toThrow(code('ERR_INVALID_ARG_TYPE'));
    expect(() => readU32(0n, { pid, bigEndian: 1 } as never)).toThrow('The "options.bigEndian" argument must be of type boolean. Received type number (1)');
  });

  test('values: of the right type, integers that fit the kind', () => {
    const memory = Buffer.alloc(8);  // referenced at the end: its bytes must outlive every write
    const target = addressOf(memory);
    expect(() => memprobe.writeU8(target, 256)).toThrow('The "value" argument must be an integer from 0 to 255. Received 256');
    expect(() => memprobe.writeU8(target, -1)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => memprobe.writeU8(target, 1.5)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => memprobe.writeU8(target, NaN)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => memprobe.writeU8(target, '1' as never)).toThrow(code('ERR_INVALID_ARG_TYPE'));
    expect(() => memprobe.writeI8(target, 128n)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => writeU16(target, 0x10000)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => memprobe.writeI16(target, -0x8001)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => writeU32(target, 2 ** 32)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => memprobe.writeI32(target, 2 ** 31)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => writeU64(target, 1n << 64n)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => writeU64(target, -1)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => writeU64(target, 2 ** 53)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => memprobe.writeI64(target, 1n << 63n)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => memprobe.writePointer(target, -1n)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => writeF32(target, 1n as never)).toThrow(code('ERR_INVALID_ARG_TYPE'));
    expect(() => memprobe.writeF64(target, '1' as never)).toThrow(code('ERR_INVALID_ARG_TYPE'));
    // Values that fit are accepted as either type.
    expect(writeU32(target, 0xffff_ffffn).ok).toBe(true);
    expect(writeU64(target, Number.MAX_SAFE_INTEGER).ok).toBe(true);
    expect(readU64(target)).toEqual({ ok: true, value: BigInt(Number.MAX_SAFE_INTEGER), fault: null });
    expect(memory.readBigUInt64LE(0)).toBe(BigInt(Number.MAX_SAFE_INTEGER));
  });
});
