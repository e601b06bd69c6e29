// hexdump() against the real xxd for the same bytes (xxd ships with vim-common).
import { execFileSync } from 'node:child_process';

import { addressOf, hexdump, pageSize } from '../lib';
import { Layout, expectedPattern } from './helpers/layout';

function xxd(bytes: Uint8Array, offset: bigint): string {
  return execFileSync('xxd', ['-o', String(offset)], { input: bytes, encoding: 'latin1' });
}

test('the layout of xxd, byte for byte: every length of a line, offsets small and large', () => {
  let seed = 12345;
  const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
  for (const length of [0, 1, 2, 3, 15, 16, 17, 31, 32, 33, 100, 256, 1000]) {
    const bytes = Uint8Array.from({ length }, next);
    for (const offset of [0n, 1n, 0x7fn, 0xffff_fff0n, 0x7ffd_1234_5678n, 0x7fff_ffff_ffff_fff0n]) {
      expect([length, offset, hexdump(bytes, { offset })]).toEqual([length, offset, xxd(bytes, offset)]);
    }
  }
  // Every byte value, printable or not.
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  expect(hexdump(all)).toBe(xxd(all, 0n));
  expect(hexdump(Buffer.from('Hello, world!\n'), { length: 5 })).toBe(xxd(Buffer.from('Hello'), 0n));
});

test('from an address: the bytes there, shown at their address; up to the first byte that cannot be read', () => {
  const buffer = Buffer.from('memprobe hexdump from a raw address \x00\x01\x02\xff');
  const address = addressOf(buffer);
  expect(hexdump(address, { length: buffer.length })).toBe(xxd(buffer, address));
  expect(hexdump(Number(address), { length: 3, offset: 0 })).toBe(xxd(buffer.subarray(0, 3), 0n));
  const layout = new Layout(['rw', 'none']);
  try {
    const start = layout.address + BigInt(pageSize - 20);
    expect(hexdump(start, { length: 100 })).toBe(xxd(expectedPattern(pageSize - 20, 20), start));
    expect(hexdump(layout.address + BigInt(pageSize))).toBe('');
  } finally {
    layout.release();
  }
});

test('bad input', () => {
  expect(() => hexdump('0x10' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  expect(() => hexdump(new Uint16Array(2) as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  expect(() => hexdump(new Uint8Array(2), { length: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  expect(() => hexdump(new Uint8Array(2), { offset: -1n })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  expect(() => hexdump(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  expect(() => hexdump(new Uint8Array(2), null as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
});
