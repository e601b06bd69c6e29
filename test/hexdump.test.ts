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
    for (const offset of [0n, 1n, 0x7fn, 0xffff_fff0n, 0x7ffd_1234_5678n, 0x7fff_ffff_ffff_fff0n, 0xffff_ffff_ffff_ffe0n]) {
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

test('ansi: the visible text of xxd; each byte in the color `xxd -R always` gives its class, one escape per run', () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  // xxd.c: get_color_char (printable green 2, tab/newline/CR yellow 3, NUL white 7, 0xff blue 4, the rest red 1)
  // and print_colored_line (ESC[1;3<c>m when the color changes, ESC[0m where a run ends).
  const color = (byte: number) => (byte >= 0x20 && byte < 0x7f ? '2' : [9, 10, 13].includes(byte) ? '3' : byte === 0 ? '7' : byte === 0xff ? '4' : '1');
  for (const length of [0, 1, 2, 5, 16, 17, 40, 256]) {
    const bytes = Uint8Array.from({ length }, (_, i) => all[(i * 67 + length) & 0xff]);
    const colored = hexdump(bytes, { ansi: true, offset: 0x1234n });
    expect(colored.replace(/\x1b\[[0-9;]*m/g, '')).toBe(xxd(bytes, 0x1234n));
    // Every character with the color in force where it is printed.
    const painted: Array<[string, string]> = [];
    let current = '';
    for (const piece of colored.split(/(\x1b\[[0-9;]*m)/)) {
      const escape = /^\x1b\[(?:1;3(\d)|0)m$/.exec(piece);
      if (escape) {
        expect(escape[1] ?? '').not.toBe(current);  // a new escape only where the color changes
        current = escape[1] ?? '';
      } else {
        for (const character of piece) painted.push([character, current]);
      }
    }
    const lines: Array<Array<[string, string]>> = [];
    for (let start = 0; start < painted.length; ) {
      const end = painted.findIndex(([character], index) => index >= start && character === '\n');
      lines.push(painted.slice(start, end));
      start = end + 1;
    }
    lines.forEach((line, index) => {
      const chunk = bytes.subarray(16 * index, 16 * index + 16);
      chunk.forEach((byte, i) => {
        const hex = 10 + Math.floor((5 * i) / 2);
        expect([byte, line[hex], line[hex + 1], line[51 + i]]).toEqual([byte, [expect.any(String), color(byte)], [expect.any(String), color(byte)], [expect.any(String), color(byte)]]);
      });
      // The address and the spaces between groups are never colored; the padding of a short line only in red.
      expect(line.slice(0, 10).every(([, c]) => c === '')).toBe(true);
      for (let group = 1; group < 8 && 2 * group < chunk.length; group++) expect(line[10 + 5 * group - 1][1]).toBe('');
      expect(line.slice(10 + Math.floor((5 * chunk.length) / 2), 51).every(([, c]) => c === '' || c === '1')).toBe(true);
    });
  }
  expect(hexdump(Uint8Array.of(1), { ansi: false })).toBe(xxd(Uint8Array.of(1), 0n));
  expect(() => hexdump(Uint8Array.of(1), { ansi: 'always' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
});

test('bad input', () => {
  expect(() => hexdump('0x10' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  expect(() => hexdump(new Uint16Array(2) as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  expect(() => hexdump(new Uint8Array(2), { length: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  expect(() => hexdump(new Uint8Array(2), { offset: -1n })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  expect(() => hexdump(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  expect(() => hexdump(new Uint8Array(2), null as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
});
