// Strings at raw addresses: decoded as TextDecoder decodes the same bytes; a string that runs into a page that
// cannot be read returns the prefix before it and the copy's fault; nothing is read from a page it does not need.
import { addressOf, mapPages, pageSize, readCString, readUtf16, readUtf8, safeMemcpy, safeRead } from '../lib';
import { stackGapMissing, testNeeding } from './helpers/capabilities';
import { runChild } from './helpers/child';
import { BETWEEN_HALVES, Layout } from './helpers/layout';

const utf8 = new TextDecoder('utf-8');
const utf16 = new TextDecoder('utf-16le');

function random(seed: number): () => number {
  let state = seed;
  return () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 24;
}

/** Writes `bytes` so that they end `before` bytes before the layout's first page boundary (page 1). */
function placeBeforeBoundary(layout: Layout, bytes: Uint8Array, before = 0): bigint {
  const address = layout.address + BigInt(pageSize - before - bytes.length);
  expect(safeMemcpy(address, bytes, bytes.length).ok).toBe(true);
  return address;
}

describe('readCString', () => {
  test('the bytes up to the NUL, decoded as UTF-8; bytesRead without the NUL', () => {
    const text = Buffer.from('grüße, memprobe 😀\0after the end');
    expect(readCString(addressOf(text))).toEqual({ ok: true, value: 'grüße, memprobe 😀', fault: null, bytesRead: 22 });
    expect(readCString(Number(addressOf(text)) + 22)).toEqual({ ok: true, value: '', fault: null, bytesRead: 0 });
  });

  test('maxLength: at most that many bytes, and then no NUL is needed', () => {
    const text = Buffer.from('abcdefgh\0');
    expect(readCString(addressOf(text), { maxLength: 3 })).toEqual({ ok: true, value: 'abc', fault: null, bytesRead: 3 });
    expect(readCString(addressOf(text), { maxLength: 0 })).toEqual({ ok: true, value: '', fault: null, bytesRead: 0 });
    expect(readCString(addressOf(text), { maxLength: 100 })).toEqual({ ok: true, value: 'abcdefgh', fault: null, bytesRead: 8 });
  });

  test('no NUL before a protected or unmapped page: the prefix in `partial`, the fault at the page', () => {
    const [protectedNext, unmappedNext] = Layout.many(['rw', 'none'], ['rw', 'unmapped']);
    try {
      for (const layout of [protectedNext, unmappedNext]) {
        for (const length of [0, 1, 15, 16, 17, 100, pageSize - 1]) {
          const bytes = Buffer.alloc(length, 'x');
          const address = placeBeforeBoundary(layout, bytes);
          const result = readCString(address);
          expect({ length, result }).toEqual({
            length,
            result: { ok: false, fault: safeRead(address, length + 1).fault, partial: 'x'.repeat(length), bytesRead: length },
          });
          expect(result.fault).toEqual({ code: layout.faultCode(pageSize), signal: 'SIGSEGV', address: layout.address + BigInt(pageSize), access: 'read' });
        }
      }
    } finally {
      protectedNext.release();
      unmappedNext.release();
    }
  });

  test('a NUL anywhere on the last readable page, up to its very last byte: no fault (the next page is never read)', () => {
    const layout = new Layout(['rw', 'none']);
    try {
      for (let position = 0; position < 40; position++) {
        const bytes = Buffer.alloc(40, 'y');
        bytes[position] = 0;
        const address = placeBeforeBoundary(layout, bytes);
        expect(readCString(address)).toEqual({ ok: true, value: 'y'.repeat(position), fault: null, bytesRead: position });
      }
      // Starting on the page's last byte, which is the NUL.
      expect(readCString(placeBeforeBoundary(layout, Buffer.from([0])))).toEqual({ ok: true, value: '', fault: null, bytesRead: 0 });
      // maxLength stops exactly at the boundary: no NUL needed, nothing of the next page read.
      const address = placeBeforeBoundary(layout, Buffer.alloc(10, 'z'));
      expect(readCString(address, { maxLength: 10 })).toEqual({ ok: true, value: 'z'.repeat(10), fault: null, bytesRead: 10 });
      expect(readCString(address, { maxLength: 11 }).ok).toBe(false);
    } finally {
      layout.release();
    }
  });

  test('a string over several pages, with the NUL on the third', () => {
    const mapping = mapPages(4);
    try {
      const bytes = Buffer.alloc(2 * pageSize + 300, 'q');
      bytes[bytes.length - 1] = 0;
      expect(safeMemcpy(mapping.address + 50n, bytes, bytes.length).ok).toBe(true);
      expect(readCString(mapping.address + 50n)).toEqual({ ok: true, value: 'q'.repeat(bytes.length - 1), fault: null, bytesRead: bytes.length - 1 });
    } finally {
      mapping.unmap();
    }
  });

  test('decoding: what TextDecoder gives for the same bytes, invalid sequences included', () => {
    const next = random(99);
    for (let round = 0; round < 300; round++) {
      // Bytes biased towards UTF-8 lead and continuation bytes, so invalid and truncated sequences are common.
      const bytes = Buffer.from(Array.from({ length: 1 + (next() % 40) }, () => {
        const byte = next();
        return byte < 64 ? 0x80 + (byte % 64) : byte < 128 ? 0xc0 + (byte % 64) : byte < 160 ? 0x41 : byte === 0 ? 1 : byte;
      }));
      const terminated = Buffer.concat([bytes, Buffer.from([0])]);
      expect([round, readCString(addressOf(terminated))]).toEqual([round, { ok: true, value: utf8.decode(bytes), fault: null, bytesRead: bytes.length }]);
      expect([round, readUtf8(addressOf(terminated), bytes.length)]).toEqual([round, { ok: true, value: utf8.decode(bytes), fault: null, bytesRead: bytes.length }]);
    }
  });

  test('unmapped and non-canonical addresses: the fault at the first byte, an empty prefix', () => {
    expect(readCString(0n)).toEqual({ ok: false, fault: { code: 'SEGV_MAPERR', signal: 'SIGSEGV', address: 0n, access: 'read' }, partial: '', bytesRead: 0 });
    expect(readCString(0x0000_8000_0000_1234n).fault).toEqual({ code: BETWEEN_HALVES.code, signal: 'SIGSEGV', address: 0x0000_8000_0000_1234n, access: 'read' });
    expect(readCString(0xffff_ffff_ffff_ffffn).fault?.code).toBe('SEGV_MAPERR');
  });
});

describe('readUtf8', () => {
  test('exactly `length` bytes, NULs included', () => {
    const text = Buffer.from('a\0b\0c');
    expect(readUtf8(addressOf(text), 5)).toEqual({ ok: true, value: 'a\0b\0c', fault: null, bytesRead: 5 });
    expect(readUtf8(addressOf(text), 0)).toEqual({ ok: true, value: '', fault: null, bytesRead: 0 });
  });

  test('across into a page that cannot be read: the readable prefix decoded (a cut sequence as U+FFFD), the copy\'s fault', () => {
    const layout = new Layout(['rw', 'none']);
    try {
      const bytes = Buffer.from('abc€');  // the euro sign is 3 bytes: cut after its first
      const address = placeBeforeBoundary(layout, bytes.subarray(0, 4));
      const result = readUtf8(address, 6);
      expect(result).toEqual({ ok: false, fault: safeRead(address, 6).fault, partial: utf8.decode(bytes.subarray(0, 4)), bytesRead: 4 });
      expect(result.ok ? '' : result.partial).toBe('abc\ufffd');
    } finally {
      layout.release();
    }
  });
});

describe('readUtf16', () => {
  test('surrogate pairs are one character; the zero unit ends the string', () => {
    const text = Buffer.from('x😀y🎉\0tail', 'utf16le');
    expect(readUtf16(addressOf(text))).toEqual({ ok: true, value: 'x😀y🎉', fault: null, bytesRead: 12 });
  });

  test('unpaired surrogates become U+FFFD, as TextDecoder decodes them; maxLength in code units', () => {
    const next = random(7);
    for (let round = 0; round < 300; round++) {
      const units = Uint16Array.from({ length: 1 + (next() % 20) }, () => {
        const choice = next();
        return choice < 80 ? 0xd800 + next() * 4 : choice < 160 ? 0xdc00 + next() * 4 : 1 + next() * 200;
      });
      const bytes = Buffer.concat([Buffer.from(units.buffer), Buffer.alloc(2)]);
      const maxLength = next() % 24;
      const expected = utf16.decode(Buffer.from(units.buffer).subarray(0, 2 * Math.min(maxLength, units.length)));
      expect([round, readUtf16(addressOf(bytes), { maxLength })]).toEqual([
        round,
        { ok: true, value: expected, fault: null, bytesRead: 2 * Math.min(maxLength, units.length) },
      ]);
    }
    // A pair cut by maxLength leaves a lone high surrogate.
    const pair = Buffer.from('😀\0', 'utf16le');
    expect(readUtf16(addressOf(pair), { maxLength: 1 })).toMatchObject({ ok: true, value: '\ufffd' });
    expect(pair.length).toBe(6);  // kept alive until here
  });

  test('at an odd address, units straddling the page boundary, and no terminator before a protected page', () => {
    const layout = new Layout(['rw', 'rw', 'none']);
    try {
      const text = Buffer.from('straddles the pages 😀 and ends\0\0', 'utf16le');
      // Odd start, so every unit straddles two bytes of different alignment; one of them the first page boundary.
      const address = layout.address + BigInt(pageSize - 21);
      expect(safeMemcpy(address, text, text.length).ok).toBe(true);
      expect(readUtf16(address)).toEqual({ ok: true, value: 'straddles the pages 😀 and ends', fault: null, bytesRead: text.length - 4 });
      // Up to the protected page with no zero unit: 3 whole units and half of one were readable.
      const unterminated = Buffer.from('abcd', 'utf16le').subarray(0, 7);
      const end = layout.address + BigInt(2 * pageSize);
      expect(safeMemcpy(end - 7n, unterminated, 7).ok).toBe(true);
      expect(readUtf16(end - 7n)).toEqual({
        ok: false,
        fault: { code: 'SEGV_ACCERR', signal: 'SIGSEGV', address: end, access: 'read' },
        partial: 'abc',
        bytesRead: 7,
      });
    } finally {
      layout.release();
    }
  });
});

testNeeding(stackGapMissing)('the gap below [stack]: SEGV_MAPERR for every string read, and the stack does not grow (a fresh process)', () => {
  const result = runChild(`
const stackStart = () => BigInt('0x' + require('node:fs').readFileSync('/proc/self/maps', 'utf8').split('\\n').find((l) => l.endsWith('[stack]')).split('-')[0]);
const start = stackStart();
const codes = [memprobe.readCString(start - 16384n), memprobe.readUtf16(start - 16384n), memprobe.readUtf8(start - 16384n, 8)].map((r) => r.fault.code);
console.log(JSON.stringify({ codes, grew: stackStart() !== start }));`);
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  expect(JSON.parse(result.stdout)).toEqual({ codes: ['SEGV_MAPERR', 'SEGV_MAPERR', 'SEGV_MAPERR'], grew: false });
});

describe('bad input', () => {
  const code = (c: string) => expect.objectContaining({ code: c });

  test('addresses, lengths and options', () => {
    for (const read of [readCString, readUtf16]) {
      expect(() => read('0x10' as never)).toThrow(code('ERR_INVALID_ARG_TYPE'));
      expect(() => read(-1n)).toThrow(code('ERR_OUT_OF_RANGE'));
      expect(() => read(1n << 64n)).toThrow(code('ERR_OUT_OF_RANGE'));
      expect(() => read(0n, null as never)).toThrow(code('ERR_INVALID_ARG_TYPE'));
      expect(() => read(0n, { maxLength: -1 })).toThrow('The "options.maxLength" argument must be a non-negative integer. Received -1');
      expect(() => read(0n, { maxLength: 1.5 })).toThrow(code('ERR_OUT_OF_RANGE'));
      expect(() => read(0n, { maxLength: '4' as never })).toThrow(code('ERR_INVALID_ARG_TYPE'));
      expect(() => read(0n, { maxLength: 2 ** 40 })).toThrow(code('ERR_OUT_OF_RANGE'));
    }
    expect(() => readUtf8(0n, -1)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => readUtf8(0n, undefined as never)).toThrow(code('ERR_INVALID_ARG_TYPE'));
    expect(() => readUtf8({} as never, 1)).toThrow(code('ERR_INVALID_ARG_TYPE'));
    expect(() => readUtf8(0xffff_ffff_ffff_fff0n, 17)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(readUtf8(0xffff_ffff_ffff_fff0n, 16).ok).toBe(false);
  });
});
