// readPointerChain in this process: a chain built in Buffers (kept referenced for the whole file, since the chain's
// pointers are their raw addresses), its faults, its argument checks, and the shape of its answers beside the
// same call made with { pid } on the symbols fixture's chain.
import { addressOf, mapPages, readPointerChain, readU32, writePointer } from '../lib';
import { startSymbolsTarget, type SymbolsTarget } from './helpers/symbols-target';

// root -> node1 -> node2 -> a u32, at the same offsets as the fixture's chain.
const ROOT_NEXT = 16;
const NODE1_NEXT = 24;
const NODE1_UNMAPPED = 32;
const NODE2_VALUE = 20;
const VALUE = 0xc0ffee42;

const root = Buffer.alloc(32);
const node1 = Buffer.alloc(48);
const node2 = Buffer.alloc(32);
let unmapped: bigint;

function thrownCode(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return (error as { code?: unknown }).code;
  }
  throw new Error('expected a throw');
}

beforeAll(() => {
  const pages = mapPages(1);
  unmapped = pages.address;
  pages.unmap();
  root.writeBigUInt64LE(addressOf(node1), ROOT_NEXT);
  node1.writeBigUInt64LE(addressOf(node2), NODE1_NEXT);
  node1.writeBigUInt64LE(unmapped, NODE1_UNMAPPED);
  node2.writeUInt32LE(VALUE, NODE2_VALUE);
});

afterAll(() => {
  // The Buffers are referenced here, after every test that follows their addresses, and no read changed them.
  expect(root.readBigUInt64LE(ROOT_NEXT)).toBe(addressOf(node1));
  expect(node1.readBigUInt64LE(NODE1_NEXT)).toBe(addressOf(node2));
  expect(node2.readUInt32LE(NODE2_VALUE)).toBe(VALUE);
});

describe('readPointerChain in this process', () => {
  test('[[root + 16] + 24] + 20 is the u32\'s address', () => {
    const result = readPointerChain(addressOf(root), [ROOT_NEXT, NODE1_NEXT, NODE2_VALUE]);
    expect(result).toEqual({ ok: true, value: addressOf(node2) + BigInt(NODE2_VALUE), fault: null });
    const value = readU32(result.ok ? result.value : 0n);
    expect(value.ok && value.value).toBe(VALUE);
  });

  test('number and bigint addresses and offsets alike', () => {
    const expected = addressOf(node2) + BigInt(NODE2_VALUE);
    expect(readPointerChain(Number(addressOf(root)), [BigInt(ROOT_NEXT), NODE1_NEXT, BigInt(NODE2_VALUE)])).toEqual({ ok: true, value: expected, fault: null });
  });

  test('no offsets: the base itself; one offset: added, nothing read', () => {
    expect(readPointerChain(addressOf(root), [])).toEqual({ ok: true, value: addressOf(root), fault: null });
    expect(readPointerChain(unmapped, [8])).toEqual({ ok: true, value: unmapped + 8n, fault: null });
  });

  test('negative offsets', () => {
    const result = readPointerChain(addressOf(root) + 40n, [ROOT_NEXT - 40, NODE1_NEXT, -8n]);
    expect(result).toEqual({ ok: true, value: addressOf(node2) - 8n, fault: null });
  });

  test('each step follows the pointer the previous one read: changing a link changes the answer', () => {
    const other = Buffer.alloc(32);
    other.writeUInt32LE(0x600df00d, 4);
    node1.writeBigUInt64LE(addressOf(other), NODE1_NEXT);
    try {
      const result = readPointerChain(addressOf(root), [ROOT_NEXT, NODE1_NEXT, 4]);
      expect(result).toEqual({ ok: true, value: addressOf(other) + 4n, fault: null });
      expect(readU32(result.ok ? result.value : 0n)).toEqual({ ok: true, value: 0x600df00d, fault: null });
    } finally {
      node1.writeBigUInt64LE(addressOf(node2), NODE1_NEXT);
    }
    expect(other.readUInt32LE(4)).toBe(0x600df00d);  // `other` stays referenced until its address is no longer used
  });

  test('a dereference of an unmapped address: ok false, the step, the fault\'s address', () => {
    const middle = readPointerChain(addressOf(root), [ROOT_NEXT, NODE1_UNMAPPED, 8, 0]);
    expect(middle).toMatchObject({ ok: false, step: 2, fault: { code: 'SEGV_MAPERR', signal: 'SIGSEGV', address: unmapped + 8n, access: 'read' } });
    expect(middle).not.toHaveProperty('value');
    const first = readPointerChain(unmapped, [16, 0]);
    expect(first).toMatchObject({ ok: false, step: 0, fault: { code: 'SEGV_MAPERR', address: unmapped + 16n } });
    const zero = readPointerChain(0n, [0, 0]);
    expect(zero).toMatchObject({ ok: false, step: 0, fault: { address: 0n } });
  });

  test('argument errors before any read', () => {
    const base = addressOf(root);
    expect(thrownCode(() => readPointerChain(base, 16 as unknown as number[]))).toBe('ERR_INVALID_ARG_TYPE');
    expect(thrownCode(() => readPointerChain(base, ['16'] as unknown as number[]))).toBe('ERR_INVALID_ARG_TYPE');
    expect(thrownCode(() => readPointerChain(base, [1.5]))).toBe('ERR_OUT_OF_RANGE');
    expect(thrownCode(() => readPointerChain('0x10' as unknown as bigint, [0]))).toBe('ERR_INVALID_ARG_TYPE');
    expect(thrownCode(() => readPointerChain(-1n, [0]))).toBe('ERR_OUT_OF_RANGE');
    expect(thrownCode(() => readPointerChain(base, [0], { pid: 0 }))).toBe('ERR_OUT_OF_RANGE');
    expect(thrownCode(() => readPointerChain(base, [0], { bigEndian: true } as never))).toBe('ERR_INVALID_ARG_VALUE');
  });
});

describe('readPointerChain here and with { pid }: the same shapes', () => {
  let target: SymbolsTarget;
  beforeAll(async () => {
    target = await startSymbolsTarget('pie');
  });
  afterAll(async () => {
    expect(await target.stop()).toEqual({ code: 0, signal: null });
  });

  test('a success and a fault in the middle answer with the same keys', () => {
    const { chain } = target.report;
    const pid = target.pid;
    const here = readPointerChain(addressOf(root), [ROOT_NEXT, NODE1_NEXT, NODE2_VALUE]);
    const there = readPointerChain(chain.root, chain.offsets, { pid });
    expect(there).toEqual({ ok: true, value: chain.valueAddress, fault: null });
    expect(Object.keys(here).sort()).toEqual(Object.keys(there).sort());

    const faultHere = readPointerChain(addressOf(root), [ROOT_NEXT, NODE1_UNMAPPED, 0, 0]);
    const faultThere = readPointerChain(chain.root, [chain.offsets[0], chain.unmappedOffset, 0, 0], { pid });
    expect(faultThere).toMatchObject({ ok: false, step: 2, fault: { address: chain.unmapped, access: 'read' } });
    expect(faultHere).toMatchObject({ ok: false, step: 2, fault: { address: unmapped, access: 'read' } });
    expect(Object.keys(faultHere).sort()).toEqual(Object.keys(faultThere).sort());
    expect(Object.keys(faultHere.fault!).sort()).toEqual(Object.keys(faultThere.fault!).sort());
  });
});

test('a chain through a pointer written with writePointer', () => {
  const cell = Buffer.alloc(16);
  expect(writePointer(addressOf(cell) + 8n, addressOf(node2)).ok).toBe(true);
  expect(readPointerChain(addressOf(cell), [8, NODE2_VALUE])).toEqual({ ok: true, value: addressOf(node2) + BigInt(NODE2_VALUE), fault: null });
  expect(cell.readBigUInt64LE(8)).toBe(addressOf(node2));  // `cell` stays referenced until its address is no longer used
});
