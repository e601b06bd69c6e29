// Misuse throws a Node-style error before any memory is touched; nothing is ever written past a destination
// JavaScript owns.
import { constants as bufferConstants } from 'node:buffer';

import { addressOf, mapPages, pageSize, safeMemcpy, safeMemcpyAsync, safeRead, safeReadAsync } from '../lib';
import { binding } from '../lib/common/native';

const TYPE = { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' };
const VALUE = { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' };
const RANGE = { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' };

/** A resizable ArrayBuffer (ES2024; the project's TypeScript lib is ES2022, whose ArrayBuffer lacks resize). */
function newResizable(length: number, maxByteLength: number): ArrayBuffer & { resize(length: number): void } {
  const Resizable = ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => ArrayBuffer & { resize(length: number): void };
  return new Resizable(length, { maxByteLength });
}

function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a throw');
}

function expectError(fn: () => unknown, kind: { name: string; code: string }, message?: RegExp): void {
  const error = thrown(fn);
  expect({ name: error.name, code: error.code }).toEqual(kind);
  if (message) expect(error.message).toMatch(message);
}

describe('bad arguments', () => {
  // A destination whose every byte is watched: no failing call may change it.
  const dst = Buffer.alloc(32, 0xab);
  const mapping = mapPages(1);
  const valid = mapping.address;
  afterAll(() => mapping.unmap());
  afterEach(() => expect(dst.every((b) => b === 0xab)).toBe(true));

  test.each([
    ['a string', 'abc'],
    ['null', null],
    ['undefined', undefined],
    ['a boolean', true],
    ['a plain object', { address: 1n }],
    ['an array', [1, 2]],
    ['a symbol', Symbol('x')],
  ])('%s as src or dst: TypeError ERR_INVALID_ARG_TYPE', (_, value) => {
    expectError(() => safeMemcpy(dst, value as never, 8), TYPE, /The "src" argument must be of type bigint or number/);
    expectError(() => safeMemcpy(value as never, valid, 8), TYPE, /The "dst" argument/);
    expectError(() => safeRead(value as never, 8), TYPE, /The "src" argument/);
  });

  test('an External (a pointer object, as koffi 2.x hands them out) is refused with a way to get its address', () => {
    const external = binding._makeExternal();
    const hint = /Received an External \(a native pointer object; for its address as a bigint use koffi.address\(pointer\) with koffi 2.x, koffi 3.x gives pointers as bigints already\)$/;
    expectError(() => safeRead(external as never, 8), TYPE, hint);
    expectError(() => safeMemcpy(dst, external as never, 8), TYPE, hint);
    expectError(() => safeMemcpy(external as never, valid, 8), TYPE, hint);
  });

  test('a JavaScript-owned source is not an address for safeRead', () => {
    expectError(() => safeRead(Buffer.alloc(4) as never, 4), TYPE);
  });

  test.each([
    ['negative', -1],
    ['fractional', 1.5],
    ['NaN', Number.NaN],
    ['infinite', Number.POSITIVE_INFINITY],
    ['beyond 2^53', 2 ** 53],
  ])('a %s length: RangeError ERR_OUT_OF_RANGE', (_, length) => {
    expectError(() => safeMemcpy(dst, valid, length), RANGE, /The "length" argument must be a non-negative integer/);
    expectError(() => safeRead(valid, length), RANGE);
  });

  test('a read longer than a Buffer can hold: RangeError naming buffer.constants.MAX_LENGTH, before any allocation', async () => {
    // 2^32 on Node 20; from Node 22 on, 2^53 - 1, so that every length past it is already not a safe integer.
    const max = bufferConstants.MAX_LENGTH;
    const expected = Number.isSafeInteger(max + 1)
      ? new RegExp(`^The "length" argument must be at most buffer.constants.MAX_LENGTH \\(${max}\\), the largest Buffer. Received ${max + 1}$`)
      : /^The "length" argument must be a non-negative integer. Received 9007199254740992$/;
    expectError(() => safeRead(valid, max + 1), RANGE, expected);
    await expect(safeReadAsync(valid, max + 1)).rejects.toMatchObject({ ...RANGE, message: expect.stringMatching(expected) });
    if (max < 2 ** 33) expectError(() => safeRead(valid, 2 ** 33), RANGE, /buffer.constants.MAX_LENGTH/);
  });

  test('a length that is not a number: TypeError', () => {
    expectError(() => safeMemcpy(dst, valid, 8n as never), TYPE, /The "length" argument must be of type number. Received type bigint/);
    expectError(() => safeMemcpy(dst, valid, '8' as never), TYPE);
  });

  test('a length beyond a JavaScript-owned buffer: RangeError, nothing written', () => {
    expectError(() => safeMemcpy(dst, valid, 33), RANGE, /at most the 32 bytes of "dst". Received 33/);
    expectError(() => safeMemcpy(dst.subarray(8), valid, 25), RANGE);
    expectError(() => safeMemcpy(valid, Buffer.alloc(4), 5), RANGE, /at most the 4 bytes of "src"/);
    expectError(() => safeMemcpy(new ArrayBuffer(4), valid, 5), RANGE);
    expectError(() => safeMemcpy(new Uint32Array(2), valid, 9), RANGE);
  });

  test('a detached ArrayBuffer holds nothing', () => {
    const buffer = new ArrayBuffer(16);
    structuredClone(buffer, { transfer: [buffer] });
    expectError(() => safeMemcpy(buffer, valid, 1), RANGE);
    expect(safeMemcpy(buffer, valid, 0).ok).toBe(true);
  });

  test('addressOf: a detached ArrayBuffer, a view over one, a view out of the bounds of a shrunk buffer: TypeError', () => {
    const detached = new ArrayBuffer(16);
    const overDetached = [new Uint8Array(detached, 4, 4), new DataView(detached, 2, 4)];
    structuredClone(detached, { transfer: [detached] });
    expectError(() => addressOf(detached), VALUE, /^The "memory" argument must be an ArrayBuffer that is not detached. Received a detached ArrayBuffer$/);
    expectError(() => addressOf(overDetached[0]), VALUE, /Received an instance of Uint8Array over a detached ArrayBuffer$/);
    expectError(() => addressOf(overDetached[1]), VALUE, /Received an instance of DataView over a detached ArrayBuffer$/);

    const resizable = newResizable(16, 64);
    const base = addressOf(resizable);
    const fixed = new Uint8Array(resizable, 8, 8);
    const fixedFromStart = new Uint16Array(resizable, 0, 6);
    const tracking = new Uint8Array(resizable, 8);
    const dataView = new DataView(resizable, 8, 8);
    expect([addressOf(fixed), addressOf(fixedFromStart), addressOf(tracking), addressOf(dataView)]).toEqual([base + 8n, base, base + 8n, base + 8n]);
    resizable.resize(10);
    const outOfBounds = /^The "memory" argument must be a view within the bounds of its buffer. Received an instance of \w+ out of the bounds of its resizable ArrayBuffer \(now 10 bytes\)$/;
    for (const view of [fixed, fixedFromStart, dataView]) expectError(() => addressOf(view), VALUE, outOfBounds);
    expect(addressOf(tracking)).toBe(base + 8n);  // a length-tracking view shrinks with its buffer and stays in bounds
    resizable.resize(4);
    expectError(() => addressOf(tracking), VALUE, /out of the bounds of its resizable ArrayBuffer \(now 4 bytes\)$/);
    resizable.resize(16);
    expect([addressOf(fixed), addressOf(tracking)]).toEqual([base + 8n, base + 8n]);  // back in bounds
  });

  test('addresses beyond 2^64 - 1, negative, or unsafe numbers: RangeError', () => {
    expectError(() => safeMemcpy(dst, 2n ** 64n, 1), RANGE, /The "src" argument must be an address from 0 to 0xffffffffffffffff. Received 18446744073709551616n/);
    expectError(() => safeMemcpy(dst, -1n, 1), RANGE);
    expectError(() => safeMemcpy(2n ** 70n, dst, 1), RANGE, /The "dst" argument/);
    expectError(() => safeMemcpy(dst, -4096, 1), RANGE, /safe integer/);
    expectError(() => safeMemcpy(dst, 2 ** 53, 1), RANGE);
    expectError(() => safeMemcpy(dst, 4096.5, 1), RANGE);
    expectError(() => safeRead(2n ** 64n, 1), RANGE);
  });

  test('address + length past 2^64: RangeError; ending exactly at 2^64 is allowed', () => {
    expectError(() => safeMemcpy(dst, 2n ** 64n - 1n, 2), RANGE, /"src" \+ "length" does not pass 2\^64/);
    expectError(() => safeMemcpy(2n ** 64n - 8n, Buffer.alloc(16), 16), RANGE, /"dst" \+ "length"/);
    const atTheEnd = safeMemcpy(dst, 2n ** 64n - 8n, 8);
    expect(atTheEnd.ok).toBe(false);  // the kernel half: a fault, not an error
    expect(atTheEnd.fault?.address).toBe(2n ** 64n - 8n);
  });

  test('a number address works like the same bigint', () => {
    const source = Buffer.from('memprobe');
    const address = Number(addressOf(source));
    const out = Buffer.alloc(8);
    expect(safeMemcpy(out, address, 8).ok).toBe(true);
    expect(out.toString()).toBe('memprobe');
    expect(safeRead(address, 8).data.toString()).toBe('memprobe');
  });

  test('an unknown strategy or bad options: TypeError', () => {
    expectError(() => safeMemcpy(dst, valid, 8, { strategy: 'fast' as never }), VALUE, /The "options.strategy" argument must be 'signal' or 'syscall'. Received type string \('fast'\)/);
    expectError(() => safeMemcpy(dst, valid, 8, 'signal' as never), TYPE, /"options"/);
    expectError(() => safeMemcpy(dst, valid, 8, null as never), TYPE);
    expectError(() => safeRead(valid, 8, { strategy: 1 as never }), VALUE);
  });

  test('pid with the signal strategy, or a bad pid: TypeError / RangeError', () => {
    expectError(() => safeRead(valid, 8, { pid: process.pid, strategy: 'signal' }), VALUE, /"options.strategy"/);
    expectError(() => safeRead(valid, 8, { pid: 0 }), RANGE, /"options.pid"/);
    expectError(() => safeRead(valid, 8, { pid: -5 }), RANGE);
    expectError(() => safeRead(valid, 8, { pid: 1.5 }), RANGE);
    expectError(() => safeRead(valid, 8, { pid: '1' as never }), TYPE);
  });

  test('the async variants reject with the same errors, before any memory is touched', async () => {
    await expect(safeMemcpyAsync(dst, valid, 33)).rejects.toMatchObject(RANGE);
    await expect(safeMemcpyAsync(dst, 'x' as never, 1)).rejects.toMatchObject(TYPE);
    await expect(safeMemcpyAsync(dst, 2n ** 64n, 1)).rejects.toMatchObject(RANGE);
    await expect(safeMemcpyAsync(dst, 2n ** 64n - 1n, 2)).rejects.toMatchObject(RANGE);
    await expect(safeReadAsync(valid, -1)).rejects.toMatchObject(RANGE);
    await expect(safeReadAsync(valid, 8, { pid: 1, strategy: 'signal' })).rejects.toMatchObject(VALUE);
  });

  test('a copy into the last bytes of a buffer never touches the byte after it', () => {
    const backing = Buffer.alloc(pageSize, 0x5c);
    const window = backing.subarray(100, 116);
    for (let length = 0; length <= 16; length++) {
      expect(safeMemcpy(window, valid, length).ok).toBe(true);
      expect(backing[99]).toBe(0x5c);
      expect(backing[116]).toBe(0x5c);
    }
  });
});
