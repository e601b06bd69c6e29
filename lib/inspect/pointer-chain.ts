// Pointer chains as memory inspectors write them, `[[base + o1] + o2] + o3`: each offset but the last is added and
// the pointer there read; the last is added to the final pointer. A chain found once (a game's player record behind
// a static pointer, a daemon's state behind a global) leads to the same place after every restart, where a bare
// address does not.
import { invalidArgType, outOfRange } from '../common/errors';
import type { Address, ValueFaulted, ValueRead } from '../common/types';
import { processOption } from '../common/validate';
import { toAddress } from '../probe/probe';
import { readPointer } from './values';

/**
 * What {@link readPointerChain} gives: the address the chain leads to, or the fault of the step that could not be
 * read.
 * @group Inspecting
 */
export type PointerChainRead = ValueRead<bigint> | (ValueFaulted & {
  /** which offset's pointer could not be read: 0 for `[base + offsets[0]]` */
  step: number;
});

const WRAP = (1n << 64n) - 1n;
const OFFSET_LIMIT = 1n << 64n;

function toOffset(value: unknown, i: number): bigint {
  const name = `offsets[${i}]`;
  if (typeof value === 'bigint') {
    if (value <= -OFFSET_LIMIT || value >= OFFSET_LIMIT) throw outOfRange(name, 'an offset between -2^64 and 2^64 (exclusive)', value);
    return value;
  }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw outOfRange(name, 'a safe integer (use a bigint beyond 2^53)', value);
    return BigInt(value);
  }
  throw invalidArgType(name, 'of type bigint or number', value);
}

/**
 * Follows a pointer chain, `[[base + o1] + o2] + o3`: adds each offset but the last and reads the pointer there (a
 * little-endian 64-bit read, as {@link readPointer} makes it), then adds the last offset. Addresses wrap at 2^64 as
 * a C pointer's would, so a negative offset steps back.
 * @param base - where the chain starts (a static address: a module's base plus an offset, see {@link parseAddress})
 * @param offsets - the offsets, in order; none gives `base` itself
 * @param options - `pid`: another process (read with process_vm_readv; a fault is then `EFAULT`)
 * @returns the address the chain leads to, or the fault of the first pointer that could not be read and its `step`
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `base` or an offset is not a bigint or number, or `offsets` not an array
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `base` is not an address or an offset not a safe integer or beyond ±2^64
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `pid`
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv fails for a reason other than a fault
 * @group Inspecting
 * @example
 * ```ts
 * import { parseAddress, readPointerChain, readU32 } from 'memprobe';
 *
 * const pid = 4242;
 * const health = readPointerChain(parseAddress('game+0x2f3a10', { pid }), [0x18, 0x40, 0x10], { pid });
 * if (health.ok) console.log(readU32(health.value, { pid }));
 * else console.log(`step ${health.step}: ${health.fault.code} at 0x${health.fault.address.toString(16)}`);
 * ```
 */
export function readPointerChain(base: Address, offsets: ReadonlyArray<number | bigint>, options?: { pid?: number }): PointerChainRead {
  const start = toAddress(base, 'base');
  if (!Array.isArray(offsets)) throw invalidArgType('offsets', 'an array of offsets', offsets);
  const steps = offsets.map(toOffset);
  const pid = processOption(options, ['pid']);
  const readOptions = pid === 0 ? undefined : { pid };
  let address = start;
  for (let step = 0; step < steps.length - 1; step++) {
    const pointer = readPointer((address + steps[step]) & WRAP, readOptions);
    if (!pointer.ok) return { ok: false, fault: pointer.fault, step };
    address = pointer.value;
  }
  if (steps.length > 0) address = (address + steps[steps.length - 1]) & WRAP;
  return { ok: true, value: address, fault: null };
}
