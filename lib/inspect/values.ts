// Typed reads and writes at raw addresses: one native call each, a value or a fault, never a crash. No Buffer on
// the no-fault path: the addon returns the value itself and leaves a fault's details in the fault state. With
// { pid }, the addon's remote reader or writer of the kind makes the copy's process_vm_readv/writev (the same
// call safeRead({ pid }) makes) through a few bytes of its own stack, so faults and system-call errors are
// exactly the copy's, and still no Buffer is involved.
//
// Each function calls its own native function from its own call site (V8 calls a monomorphic API function
// directly; one shared site for every kind would take the slower generic path, as lib/memory/copy.ts explains).
import { invalidArgType, outOfRange } from '../common/errors';
import { lastFault } from '../memory/copy';
import { binding } from '../common/native';
import { toAddress } from '../probe/probe';
import type { Address, CopyResult, ReadValue } from '../common/types';
import { checkKnownOptions, checkPid } from '../common/validate';

/**
 * The byte order of a typed read or write.
 * @group Inspecting
 */
export interface ByteOrderOptions {
  /** most significant byte first; default little-endian (x86's order) */
  bigEndian?: boolean;
  /**
   * another process: the value is read with process_vm_readv or written with process_vm_writev, and a fault is
   * `EFAULT` (as the syscall strategy reports it). process_vm_writev honours that process's page protections: a
   * write to a read-only page is a write fault
   */
  pid?: number;
}

const R = binding.readers;
const W = binding.writers;
const RR = binding.remoteReaders;  // (address, pid): the same kinds, in another process
const RW = binding.remoteWriters;  // (address, value, pid)

const BYTE_ORDER_OPTIONS = ['bigEndian', 'pid'];

/** The process `options` names (0: this one); checks every option name. */
function processOf(options: ByteOrderOptions): number {
  checkKnownOptions(options, BYTE_ORDER_OPTIONS);
  const pid = options.pid;
  if (pid === undefined) return 0;
  checkPid(pid);
  return pid;
}

function bigEndian(options: ByteOrderOptions): boolean {
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const value = options.bigEndian;
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw invalidArgType('options.bigEndian', 'of type boolean', value);
  return value;
}

/** The error for an address the addon refused: its type or range (toAddress throws), or the value's end past 2^64. */
function addressError(address: unknown, width: number): Error {
  const start = toAddress(address, 'address');
  return outOfRange('address', `an address whose ${width} bytes end by 2^64`, start);
}

function read<T>(value: T | undefined | null, address: Address, width: number): ReadValue<T> {
  if (value !== undefined && value !== null) return { ok: true, value, fault: null };
  if (value === undefined) return { ok: false, fault: lastFault().fault };
  throw addressError(address, width);
}

function written(status: 1 | undefined | null, address: Address, width: number): CopyResult {
  if (status === undefined) return { ok: true, bytesCopied: width, fault: null };
  if (status === 1) return lastFault();
  throw addressError(address, width);
}

/**
 * Reads an unsigned 8-bit integer (1 byte) at `address`: one guarded load, a value or a fault, never a crash.
 * @param address - the value's first byte (any alignment)
 * @param options - the byte order (default little-endian), and another process
 * @returns the value, or the fault a safeRead of the same 1 bytes reports
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `options` not an object, `options.bigEndian` not a boolean or `options.pid` not a number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `address` is negative, above 2^64 - 1 or an unsafe number, or its 1 bytes pass 2^64, or `options.pid` is not a positive 32-bit integer
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `bigEndian` and `pid`
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv/writev fails for a reason other than a fault: `EPERM` or `ESRCH`, with `pid` set
 * @group Inspecting
 */
export function readU8(address: Address, options?: ByteOrderOptions): ReadValue<number> {
  const pid = options === undefined ? 0 : processOf(options);
  if (pid !== 0) return read(bigEndian(options!) ? RR.u8be(address, pid) : RR.u8(address, pid), address, 1);
  return read(options === undefined || !bigEndian(options) ? R.u8(address) : R.u8be(address), address, 1);
}

/**
 * Reads an unsigned 16-bit integer (2 bytes) at `address`: one guarded load, a value or a fault, never a crash.
 * @param address - the value's first byte (any alignment)
 * @param options - the byte order (default little-endian), and another process
 * @returns the value, or the fault a safeRead of the same 2 bytes reports
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `options` not an object, `options.bigEndian` not a boolean or `options.pid` not a number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `address` is negative, above 2^64 - 1 or an unsafe number, or its 2 bytes pass 2^64, or `options.pid` is not a positive 32-bit integer
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `bigEndian` and `pid`
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv/writev fails for a reason other than a fault: `EPERM` or `ESRCH`, with `pid` set
 * @group Inspecting
 */
export function readU16(address: Address, options?: ByteOrderOptions): ReadValue<number> {
  const pid = options === undefined ? 0 : processOf(options);
  if (pid !== 0) return read(bigEndian(options!) ? RR.u16be(address, pid) : RR.u16(address, pid), address, 2);
  return read(options === undefined || !bigEndian(options) ? R.u16(address) : R.u16be(address), address, 2);
}

/**
 * Reads an unsigned 32-bit integer (4 bytes) at `address`: one guarded load, a value or a fault, never a crash.
 * @param address - the value's first byte (any alignment)
 * @param options - the byte order (default little-endian), and another process
 * @returns the value, or the fault a safeRead of the same 4 bytes reports
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `options` not an object, `options.bigEndian` not a boolean or `options.pid` not a number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `address` is negative, above 2^64 - 1 or an unsafe number, or its 4 bytes pass 2^64, or `options.pid` is not a positive 32-bit integer
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `bigEndian` and `pid`
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv/writev fails for a reason other than a fault: `EPERM` or `ESRCH`, with `pid` set
 * @group Inspecting
 * @example
 * ```ts
 * import { addressOf, readU32 } from 'memprobe';
 *
 * const b = Buffer.from([0xce, 0xfa, 0xed, 0xfe]);
 * const r = readU32(addressOf(b));
 * console.log(r.ok && r.value.toString(16));  // feedface
 * console.log(readU32(0n).fault?.code);       // SEGV_MAPERR
 * ```
 */
export function readU32(address: Address, options?: ByteOrderOptions): ReadValue<number> {
  const pid = options === undefined ? 0 : processOf(options);
  if (pid !== 0) return read(bigEndian(options!) ? RR.u32be(address, pid) : RR.u32(address, pid), address, 4);
  return read(options === undefined || !bigEndian(options) ? R.u32(address) : R.u32be(address), address, 4);
}

/**
 * Reads an unsigned 64-bit integer (8 bytes) at `address`: one guarded load, a value or a fault, never a crash.
 * @param address - the value's first byte (any alignment)
 * @param options - the byte order (default little-endian), and another process
 * @returns the value, or the fault a safeRead of the same 8 bytes reports
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `options` not an object, `options.bigEndian` not a boolean or `options.pid` not a number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `address` is negative, above 2^64 - 1 or an unsafe number, or its 8 bytes pass 2^64, or `options.pid` is not a positive 32-bit integer
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `bigEndian` and `pid`
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv/writev fails for a reason other than a fault: `EPERM` or `ESRCH`, with `pid` set
 * @group Inspecting
 */
export function readU64(address: Address, options?: ByteOrderOptions): ReadValue<bigint> {
  const pid = options === undefined ? 0 : processOf(options);
  if (pid !== 0) return read(bigEndian(options!) ? RR.u64be(address, pid) : RR.u64(address, pid), address, 8);
  return read(options === undefined || !bigEndian(options) ? R.u64(address) : R.u64be(address), address, 8);
}

/**
 * Reads a signed 8-bit integer (1 byte) at `address`: one guarded load, a value or a fault, never a crash.
 * @param address - the value's first byte (any alignment)
 * @param options - the byte order (default little-endian), and another process
 * @returns the value, or the fault a safeRead of the same 1 bytes reports
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `options` not an object, `options.bigEndian` not a boolean or `options.pid` not a number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `address` is negative, above 2^64 - 1 or an unsafe number, or its 1 bytes pass 2^64, or `options.pid` is not a positive 32-bit integer
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `bigEndian` and `pid`
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv/writev fails for a reason other than a fault: `EPERM` or `ESRCH`, with `pid` set
 * @group Inspecting
 */
export function readI8(address: Address, options?: ByteOrderOptions): ReadValue<number> {
  const pid = options === undefined ? 0 : processOf(options);
  if (pid !== 0) return read(bigEndian(options!) ? RR.i8be(address, pid) : RR.i8(address, pid), address, 1);
  return read(options === undefined || !bigEndian(options) ? R.i8(address) : R.i8be(address), address, 1);
}

/**
 * Reads a signed 16-bit integer (2 bytes) at `address`: one guarded load, a value or a fault, never a crash.
 * @param address - the value's first byte (any alignment)
 * @param options - the byte order (default little-endian), and another process
 * @returns the value, or the fault a safeRead of the same 2 bytes reports
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `options` not an object, `options.bigEndian` not a boolean or `options.pid` not a number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `address` is negative, above 2^64 - 1 or an unsafe number, or its 2 bytes pass 2^64, or `options.pid` is not a positive 32-bit integer
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `bigEndian` and `pid`
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv/writev fails for a reason other than a fault: `EPERM` or `ESRCH`, with `pid` set
 * @group Inspecting
 */
export function readI16(address: Address, options?: ByteOrderOptions): ReadValue<number> {
  const pid = options === undefined ? 0 : processOf(options);
  if (pid !== 0) return read(bigEndian(options!) ? RR.i16be(address, pid) : RR.i16(address, pid), address, 2);
  return read(options === undefined || !bigEndian(options) ? R.i16(address) : R.i16be(address), address, 2);
}

/**
 * Reads a signed 32-bit integer (4 bytes) at `address`: one guarded load, a value or a fault, never a crash.
 * @param address - the value's first byte (any alignment)
 * @param options - the byte order (default little-endian), and another process
 * @returns the value, or the fault a safeRead of the same 4 bytes reports
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `options` not an object, `options.bigEndian` not a boolean or `options.pid` not a number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `address` is negative, above 2^64 - 1 or an unsafe number, or its 4 bytes pass 2^64, or `options.pid` is not a positive 32-bit integer
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `bigEndian` and `pid`
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv/writev fails for a reason other than a fault: `EPERM` or `ESRCH`, with `pid` set
 * @group Inspecting
 */
export function readI32(address: Address, options?: ByteOrderOptions): ReadValue<number> {
  const pid = options === undefined ? 0 : processOf(options);
  if (pid !== 0) return read(bigEndian(options!) ? RR.i32be(address, pid) : RR.i32(address, pid), address, 4);
  return read(options === undefined || !bigEndian(options) ? R.i32(address) : R.i32be(address), address, 4);
}

/**
 * Reads a signed 64-bit integer (8 bytes) at `address`: one guarded load, a value or a fault, never a crash.
 * @param address - the value's first byte (any alignment)
 * @param options - the byte order (default little-endian), and another process
 * @returns the value, or the fault a safeRead of the same 8 bytes reports
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `options` not an object, `options.bigEndian` not a boolean or `options.pid` not a number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `address` is negative, above 2^64 - 1 or an unsafe number, or its 8 bytes pass 2^64, or `options.pid` is not a positive 32-bit integer
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `bigEndian` and `pid`
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv/writev fails for a reason other than a fault: `EPERM` or `ESRCH`, with `pid` set
 * @group Inspecting
 */
export function readI64(address: Address, options?: ByteOrderOptions): ReadValue<bigint> {
  const pid = options === undefined ? 0 : processOf(options);
  if (pid !== 0) return read(bigEndian(options!) ? RR.i64be(address, pid) : RR.i64(address, pid), address, 8);
  return read(options === undefined || !bigEndian(options) ? R.i64(address) : R.i64be(address), address, 8);
}

/**
 * Reads a 32-bit float (4 bytes) at `address`: one guarded load, a value or a fault, never a crash.
 * @param address - the value's first byte (any alignment)
 * @param options - the byte order (default little-endian), and another process
 * @returns the value, or the fault a safeRead of the same 4 bytes reports
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `options` not an object, `options.bigEndian` not a boolean or `options.pid` not a number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `address` is negative, above 2^64 - 1 or an unsafe number, or its 4 bytes pass 2^64, or `options.pid` is not a positive 32-bit integer
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `bigEndian` and `pid`
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv/writev fails for a reason other than a fault: `EPERM` or `ESRCH`, with `pid` set
 * @group Inspecting
 */
export function readF32(address: Address, options?: ByteOrderOptions): ReadValue<number> {
  const pid = options === undefined ? 0 : processOf(options);
  if (pid !== 0) return read(bigEndian(options!) ? RR.f32be(address, pid) : RR.f32(address, pid), address, 4);
  return read(options === undefined || !bigEndian(options) ? R.f32(address) : R.f32be(address), address, 4);
}

/**
 * Reads a 64-bit float (8 bytes) at `address`: one guarded load, a value or a fault, never a crash.
 * @param address - the value's first byte (any alignment)
 * @param options - the byte order (default little-endian), and another process
 * @returns the value, or the fault a safeRead of the same 8 bytes reports
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `options` not an object, `options.bigEndian` not a boolean or `options.pid` not a number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `address` is negative, above 2^64 - 1 or an unsafe number, or its 8 bytes pass 2^64, or `options.pid` is not a positive 32-bit integer
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `bigEndian` and `pid`
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv/writev fails for a reason other than a fault: `EPERM` or `ESRCH`, with `pid` set
 * @group Inspecting
 */
export function readF64(address: Address, options?: ByteOrderOptions): ReadValue<number> {
  const pid = options === undefined ? 0 : processOf(options);
  if (pid !== 0) return read(bigEndian(options!) ? RR.f64be(address, pid) : RR.f64(address, pid), address, 8);
  return read(options === undefined || !bigEndian(options) ? R.f64(address) : R.f64be(address), address, 8);
}

/**
 * A pointer (8 bytes on x86-64) as a bigint: an address to follow with the other reads.
 * @param address - the value's first byte (any alignment)
 * @param options - the byte order (default little-endian), and another process
 * @returns the value, or the fault a safeRead of the same 8 bytes reports
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `options` not an object, `options.bigEndian` not a boolean or `options.pid` not a number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `address` is negative, above 2^64 - 1 or an unsafe number, or its 8 bytes pass 2^64, or `options.pid` is not a positive 32-bit integer
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `bigEndian` and `pid`
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv/writev fails for a reason other than a fault: `EPERM` or `ESRCH`, with `pid` set
 * @group Inspecting
 * @example
 * ```ts
 * import { addressOf, readCString, readPointer } from 'memprobe';
 *
 * const name = Buffer.from('memprobe\0');
 * const struct = Buffer.alloc(8);
 * struct.writeBigUInt64LE(addressOf(name));
 * const pointer = readPointer(addressOf(struct));
 * if (pointer.ok) {
 *   const text = readCString(pointer.value);
 *   console.log(text.ok && text.value);  // memprobe
 * }
 * ```
 */
export function readPointer(address: Address, options?: ByteOrderOptions): ReadValue<bigint> {
  const pid = options === undefined ? 0 : processOf(options);
  if (pid !== 0) return read(bigEndian(options!) ? RR.u64be(address, pid) : RR.u64(address, pid), address, 8);
  return read(options === undefined || !bigEndian(options) ? R.u64(address) : R.u64be(address), address, 8);
}

// --- writes: the value is checked here; the addon takes numbers for up to 4 bytes and floats, bigints for 8 ---

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** An integer value that fits [min, max] (a number or a bigint), as a number. */
function smallInteger(value: unknown, min: number, max: number): number {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= min && value <= max) return value;
  } else if (typeof value === 'bigint') {
    if (value >= BigInt(min) && value <= BigInt(max)) return Number(value);
  } else {
    throw invalidArgType('value', 'of type number or bigint', value);
  }
  throw outOfRange('value', `an integer from ${min} to ${max}`, value);
}

/** An integer value that fits [min, max] (a safe-integer number or a bigint), as a bigint. */
function largeInteger(value: unknown, min: bigint, max: bigint): bigint {
  if (typeof value === 'bigint') {
    if (value >= min && value <= max) return value;
  } else if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && BigInt(value) >= min) return BigInt(value);
  } else {
    throw invalidArgType('value', 'of type number or bigint', value);
  }
  throw outOfRange('value', `an integer from ${min} to ${max} (a number only up to 2^53 - 1)`, value);
}

function float(value: unknown): number {
  if (typeof value !== 'number') throw invalidArgType('value', 'of type number', value);
  return value;
}

/**
 * Writes an unsigned 8-bit integer (1 byte) at `address`: one guarded store, a result or a fault, never a crash.
 * @param address - the value's first byte (any alignment)
 * @param value - an integer from 0 to 255, a number or a bigint
 * @param options - the byte order (default little-endian), and another process
 * @returns `{ ok: true }`, or the fault and the bytes written before it (those before a page that cannot be written)
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `value` not a number or bigint, `options` not an object, `options.bigEndian` not a boolean or `options.pid` not a number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `value` does not fit, `address` is negative, above 2^64 - 1 or an unsafe number, or its 1 bytes pass 2^64, or `options.pid` is not a positive 32-bit integer
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `bigEndian` and `pid`
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv/writev fails for a reason other than a fault: `EPERM` or `ESRCH`, with `pid` set
 * @group Inspecting
 */
export function writeU8(address: Address, value: number | bigint, options?: ByteOrderOptions): CopyResult {
  const v = smallInteger(value, 0, 0xff);
  const pid = options === undefined ? 0 : processOf(options);
  if (pid !== 0) return written(bigEndian(options!) ? RW.u8be(address, v, pid) : RW.u8(address, v, pid), address, 1);
  return written(options === undefined || !bigEndian(options) ? W.u8(address, v) : W.u8be(address, v), address, 1);
}

/**
 * Writes an unsigned 16-bit integer (2 bytes) at `address`: one guarded store, a result or a fault, never a crash.
 * @param address - the value's first byte (any alignment)
 * @param value - an integer from 0 to 65535, a number or a bigint
 * @param options - the byte order (default little-endian), and another process
 * @returns `{ ok: true }`, or the fault and the bytes written before it (those before a page that cannot be written)
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `value` not a number or bigint, `options` not an object, `options.bigEndian` not a boolean or `options.pid` not a number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `value` does not fit, `address` is negative, above 2^64 - 1 or an unsafe number, or its 2 bytes pass 2^64, or `options.pid` is not a positive 32-bit integer
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `bigEndian` and `pid`
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv/writev fails for a reason other than a fault: `EPERM` or `ESRCH`, with `pid` set
 * @group Inspecting
 */
export function writeU16(address: Address, value: number | bigint, options?: ByteOrderOptions): CopyResult {
  const v = smallInteger(value, 0, 0xffff);
  const pid = options === undefined ? 0 : processOf(options);
  if (pid !== 0) return written(bigEndian(options!) ? RW.u16be(address, v, pid) : RW.u16(address, v, pid), address, 2);
  return written(options === undefined || !bigEndian(options) ? W.u16(address, v) : W.u16be(address, v), address, 2);
}

/**
 * Writes an unsigned 32-bit integer (4 bytes) at `address`: one guarded store, a result or a fault, never a crash.
 * @param address - the value's first byte (any alignment)
 * @param value - an integer from 0 to 2^32 - 1, a number or a bigint
 * @param options - the byte order (default little-endian), and another process
 * @returns `{ ok: true }`, or the fault and the bytes written before it (those before a page that cannot be written)
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `value` not a number or bigint, `options` not an object, `options.bigEndian` not a boolean or `options.pid` not a number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `value` does not fit, `address` is negative, above 2^64 - 1 or an unsafe number, or its 4 bytes pass 2^64, or `options.pid` is not a positive 32-bit integer
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `bigEndian` and `pid`
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv/writev fails for a reason other than a fault: `EPERM` or `ESRCH`, with `pid` set
 * @group Inspecting
 */
export function writeU32(address: Address, value: number | bigint, options?: ByteOrderOptions): CopyResult {
  const v = smallInteger(value, 0, 0xffff_ffff);
  const pid = options === undefined ? 0 : processOf(options);
  if (pid !== 0) return written(bigEndian(options!) ? RW.u32be(address, v, pid) : RW.u32(address, v, pid), address, 4);
  return written(options === undefined || !bigEndian(options) ? W.u32(address, v) : W.u32be(address, v), address, 4);
}

/**
 * Writes an unsigned 64-bit integer (8 bytes) at `address`: one guarded store, a result or a fault, never a crash.
 * @param address - the value's first byte (any alignment)
 * @param value - an integer from 0 to 2^64 - 1, a number or a bigint (a number only up to 2^53 - 1)
 * @param options - the byte order (default little-endian), and another process
 * @returns `{ ok: true }`, or the fault and the bytes written before it (those before a page that cannot be written)
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `value` not a number or bigint, `options` not an object, `options.bigEndian` not a boolean or `options.pid` not a number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `value` does not fit, `address` is negative, above 2^64 - 1 or an unsafe number, or its 8 bytes pass 2^64, or `options.pid` is not a positive 32-bit integer
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `bigEndian` and `pid`
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv/writev fails for a reason other than a fault: `EPERM` or `ESRCH`, with `pid` set
 * @group Inspecting
 */
export function writeU64(address: Address, value: number | bigint, options?: ByteOrderOptions): CopyResult {
  const v = largeInteger(value, 0n, U64_MAX);
  const pid = options === undefined ? 0 : processOf(options);
  if (pid !== 0) return written(bigEndian(options!) ? RW.u64be(address, v, pid) : RW.u64(address, v, pid), address, 8);
  return written(options === undefined || !bigEndian(options) ? W.u64(address, v) : W.u64be(address, v), address, 8);
}

/**
 * Writes a signed 8-bit integer (1 byte) at `address`: one guarded store, a result or a fault, never a crash.
 * @param address - the value's first byte (any alignment)
 * @param value - an integer from -128 to 127, a number or a bigint
 * @param options - the byte order (default little-endian), and another process
 * @returns `{ ok: true }`, or the fault and the bytes written before it (those before a page that cannot be written)
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `value` not a number or bigint, `options` not an object, `options.bigEndian` not a boolean or `options.pid` not a number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `value` does not fit, `address` is negative, above 2^64 - 1 or an unsafe number, or its 1 bytes pass 2^64, or `options.pid` is not a positive 32-bit integer
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `bigEndian` and `pid`
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv/writev fails for a reason other than a fault: `EPERM` or `ESRCH`, with `pid` set
 * @group Inspecting
 */
export function writeI8(address: Address, value: number | bigint, options?: ByteOrderOptions): CopyResult {
  const v = smallInteger(value, -0x80, 0x7f);
  const pid = options === undefined ? 0 : processOf(options);
  if (pid !== 0) return written(bigEndian(options!) ? RW.i8be(address, v, pid) : RW.i8(address, v, pid), address, 1);
  return written(options === undefined || !bigEndian(options) ? W.i8(address, v) : W.i8be(address, v), address, 1);
}

/**
 * Writes a signed 16-bit integer (2 bytes) at `address`: one guarded store, a result or a fault, never a crash.
 * @param address - the value's first byte (any alignment)
 * @param value - an integer from -32768 to 32767, a number or a bigint
 * @param options - the byte order (default little-endian), and another process
 * @returns `{ ok: true }`, or the fault and the bytes written before it (those before a page that cannot be written)
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `value` not a number or bigint, `options` not an object, `options.bigEndian` not a boolean or `options.pid` not a number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `value` does not fit, `address` is negative, above 2^64 - 1 or an unsafe number, or its 2 bytes pass 2^64, or `options.pid` is not a positive 32-bit integer
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `bigEndian` and `pid`
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv/writev fails for a reason other than a fault: `EPERM` or `ESRCH`, with `pid` set
 * @group Inspecting
 */
export function writeI16(address: Address, value: number | bigint, options?: ByteOrderOptions): CopyResult {
  const v = smallInteger(value, -0x8000, 0x7fff);
  const pid = options === undefined ? 0 : processOf(options);
  if (pid !== 0) return written(bigEndian(options!) ? RW.i16be(address, v, pid) : RW.i16(address, v, pid), address, 2);
  return written(options === undefined || !bigEndian(options) ? W.i16(address, v) : W.i16be(address, v), address, 2);
}

/**
 * Writes a signed 32-bit integer (4 bytes) at `address`: one guarded store, a result or a fault, never a crash.
 * @param address - the value's first byte (any alignment)
 * @param value - an integer from -2^31 to 2^31 - 1, a number or a bigint
 * @param options - the byte order (default little-endian), and another process
 * @returns `{ ok: true }`, or the fault and the bytes written before it (those before a page that cannot be written)
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `value` not a number or bigint, `options` not an object, `options.bigEndian` not a boolean or `options.pid` not a number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `value` does not fit, `address` is negative, above 2^64 - 1 or an unsafe number, or its 4 bytes pass 2^64, or `options.pid` is not a positive 32-bit integer
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `bigEndian` and `pid`
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv/writev fails for a reason other than a fault: `EPERM` or `ESRCH`, with `pid` set
 * @group Inspecting
 */
export function writeI32(address: Address, value: number | bigint, options?: ByteOrderOptions): CopyResult {
  const v = smallInteger(value, -0x8000_0000, 0x7fff_ffff);
  const pid = options === undefined ? 0 : processOf(options);
  if (pid !== 0) return written(bigEndian(options!) ? RW.i32be(address, v, pid) : RW.i32(address, v, pid), address, 4);
  return written(options === undefined || !bigEndian(options) ? W.i32(address, v) : W.i32be(address, v), address, 4);
}

/**
 * Writes a signed 64-bit integer (8 bytes) at `address`: one guarded store, a result or a fault, never a crash.
 * @param address - the value's first byte (any alignment)
 * @param value - an integer from -2^63 to 2^63 - 1, a number or a bigint (a number only up to 2^53 - 1)
 * @param options - the byte order (default little-endian), and another process
 * @returns `{ ok: true }`, or the fault and the bytes written before it (those before a page that cannot be written)
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `value` not a number or bigint, `options` not an object, `options.bigEndian` not a boolean or `options.pid` not a number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `value` does not fit, `address` is negative, above 2^64 - 1 or an unsafe number, or its 8 bytes pass 2^64, or `options.pid` is not a positive 32-bit integer
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `bigEndian` and `pid`
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv/writev fails for a reason other than a fault: `EPERM` or `ESRCH`, with `pid` set
 * @group Inspecting
 */
export function writeI64(address: Address, value: number | bigint, options?: ByteOrderOptions): CopyResult {
  const v = largeInteger(value, I64_MIN, I64_MAX);
  const pid = options === undefined ? 0 : processOf(options);
  if (pid !== 0) return written(bigEndian(options!) ? RW.i64be(address, v, pid) : RW.i64(address, v, pid), address, 8);
  return written(options === undefined || !bigEndian(options) ? W.i64(address, v) : W.i64be(address, v), address, 8);
}

/**
 * Writes a 32-bit float (4 bytes) at `address`: one guarded store. The number rounded to the nearest float32, as
 * DataView#setFloat32 does.
 * @param address - the value's first byte (any alignment)
 * @param value - a number (rounded to the nearest float32, as DataView#setFloat32 does)
 * @param options - the byte order (default little-endian), and another process
 * @returns `{ ok: true }`, or the fault and the bytes written before it (those before a page that cannot be written)
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `value` not a number, `options` not an object, `options.bigEndian` not a boolean or `options.pid` not a number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `address` is negative, above 2^64 - 1 or an unsafe number, or its 4 bytes pass 2^64, or `options.pid` is not a positive 32-bit integer
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `bigEndian` and `pid`
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv/writev fails for a reason other than a fault: `EPERM` or `ESRCH`, with `pid` set
 * @group Inspecting
 */
export function writeF32(address: Address, value: number, options?: ByteOrderOptions): CopyResult {
  const v = float(value);
  const pid = options === undefined ? 0 : processOf(options);
  if (pid !== 0) return written(bigEndian(options!) ? RW.f32be(address, v, pid) : RW.f32(address, v, pid), address, 4);
  return written(options === undefined || !bigEndian(options) ? W.f32(address, v) : W.f32be(address, v), address, 4);
}

/**
 * Writes a 64-bit float (8 bytes) at `address`: one guarded store, a result or a fault, never a crash.
 * @param address - the value's first byte (any alignment)
 * @param value - a number
 * @param options - the byte order (default little-endian), and another process
 * @returns `{ ok: true }`, or the fault and the bytes written before it (those before a page that cannot be written)
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `value` not a number, `options` not an object, `options.bigEndian` not a boolean or `options.pid` not a number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `address` is negative, above 2^64 - 1 or an unsafe number, or its 8 bytes pass 2^64, or `options.pid` is not a positive 32-bit integer
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `bigEndian` and `pid`
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv/writev fails for a reason other than a fault: `EPERM` or `ESRCH`, with `pid` set
 * @group Inspecting
 */
export function writeF64(address: Address, value: number, options?: ByteOrderOptions): CopyResult {
  const v = float(value);
  const pid = options === undefined ? 0 : processOf(options);
  if (pid !== 0) return written(bigEndian(options!) ? RW.f64be(address, v, pid) : RW.f64(address, v, pid), address, 8);
  return written(options === undefined || !bigEndian(options) ? W.f64(address, v) : W.f64be(address, v), address, 8);
}

/**
 * Writes a pointer (8 bytes on x86-64) at `address`: one guarded store.
 * @param address - the value's first byte (any alignment)
 * @param value - an address from 0 to 2^64 - 1, a number or a bigint (a number only up to 2^53 - 1)
 * @param options - the byte order (default little-endian), and another process
 * @returns `{ ok: true }`, or the fault and the bytes written before it (those before a page that cannot be written)
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `value` not a number or bigint, `options` not an object, `options.bigEndian` not a boolean or `options.pid` not a number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `value` does not fit, `address` is negative, above 2^64 - 1 or an unsafe number, or its 8 bytes pass 2^64, or `options.pid` is not a positive 32-bit integer
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `bigEndian` and `pid`
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv/writev fails for a reason other than a fault: `EPERM` or `ESRCH`, with `pid` set
 * @group Inspecting
 */
export function writePointer(address: Address, value: number | bigint, options?: ByteOrderOptions): CopyResult {
  const v = largeInteger(value, 0n, U64_MAX);
  const pid = options === undefined ? 0 : processOf(options);
  if (pid !== 0) return written(bigEndian(options!) ? RW.u64be(address, v, pid) : RW.u64(address, v, pid), address, 8);
  return written(options === undefined || !bigEndian(options) ? W.u64(address, v) : W.u64be(address, v), address, 8);
}
