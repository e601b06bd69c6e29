// Typed reads and writes at raw addresses: one native call each, a value or a fault, never a crash. No Buffer on
// the no-fault path: the addon returns the value itself and leaves a fault's details in the fault state.
//
// Each function calls its own native function from its own call site (V8 calls a monomorphic API function
// directly; one shared site for every kind would take the slower generic path, as lib/memory/copy.ts explains).
import { invalidArgType, outOfRange } from '../common/errors';
import { lastFault } from '../memory/copy';
import { binding } from '../common/native';
import { toAddress } from '../probe/probe';
import type { Address, CopyResult, ReadValue } from '../common/types';

export interface ByteOrderOptions {
  /** most significant byte first; default little-endian (x86's order) */
  bigEndian?: boolean;
}

const R = binding.readers;
const W = binding.writers;

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

export function readU8(address: Address, options?: ByteOrderOptions): ReadValue<number> {
  return read(options === undefined || !bigEndian(options) ? R.u8(address) : R.u8be(address), address, 1);
}

export function readU16(address: Address, options?: ByteOrderOptions): ReadValue<number> {
  return read(options === undefined || !bigEndian(options) ? R.u16(address) : R.u16be(address), address, 2);
}

export function readU32(address: Address, options?: ByteOrderOptions): ReadValue<number> {
  return read(options === undefined || !bigEndian(options) ? R.u32(address) : R.u32be(address), address, 4);
}

export function readU64(address: Address, options?: ByteOrderOptions): ReadValue<bigint> {
  return read(options === undefined || !bigEndian(options) ? R.u64(address) : R.u64be(address), address, 8);
}

export function readI8(address: Address, options?: ByteOrderOptions): ReadValue<number> {
  return read(options === undefined || !bigEndian(options) ? R.i8(address) : R.i8be(address), address, 1);
}

export function readI16(address: Address, options?: ByteOrderOptions): ReadValue<number> {
  return read(options === undefined || !bigEndian(options) ? R.i16(address) : R.i16be(address), address, 2);
}

export function readI32(address: Address, options?: ByteOrderOptions): ReadValue<number> {
  return read(options === undefined || !bigEndian(options) ? R.i32(address) : R.i32be(address), address, 4);
}

export function readI64(address: Address, options?: ByteOrderOptions): ReadValue<bigint> {
  return read(options === undefined || !bigEndian(options) ? R.i64(address) : R.i64be(address), address, 8);
}

export function readF32(address: Address, options?: ByteOrderOptions): ReadValue<number> {
  return read(options === undefined || !bigEndian(options) ? R.f32(address) : R.f32be(address), address, 4);
}

export function readF64(address: Address, options?: ByteOrderOptions): ReadValue<number> {
  return read(options === undefined || !bigEndian(options) ? R.f64(address) : R.f64be(address), address, 8);
}

/** A pointer (8 bytes on x86-64) as a bigint: an address to follow with the other reads. */
export function readPointer(address: Address, options?: ByteOrderOptions): ReadValue<bigint> {
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

export function writeU8(address: Address, value: number | bigint, options?: ByteOrderOptions): CopyResult {
  const v = smallInteger(value, 0, 0xff);
  return written(options === undefined || !bigEndian(options) ? W.u8(address, v) : W.u8be(address, v), address, 1);
}

export function writeU16(address: Address, value: number | bigint, options?: ByteOrderOptions): CopyResult {
  const v = smallInteger(value, 0, 0xffff);
  return written(options === undefined || !bigEndian(options) ? W.u16(address, v) : W.u16be(address, v), address, 2);
}

export function writeU32(address: Address, value: number | bigint, options?: ByteOrderOptions): CopyResult {
  const v = smallInteger(value, 0, 0xffff_ffff);
  return written(options === undefined || !bigEndian(options) ? W.u32(address, v) : W.u32be(address, v), address, 4);
}

export function writeU64(address: Address, value: number | bigint, options?: ByteOrderOptions): CopyResult {
  const v = largeInteger(value, 0n, U64_MAX);
  return written(options === undefined || !bigEndian(options) ? W.u64(address, v) : W.u64be(address, v), address, 8);
}

export function writeI8(address: Address, value: number | bigint, options?: ByteOrderOptions): CopyResult {
  const v = smallInteger(value, -0x80, 0x7f);
  return written(options === undefined || !bigEndian(options) ? W.i8(address, v) : W.i8be(address, v), address, 1);
}

export function writeI16(address: Address, value: number | bigint, options?: ByteOrderOptions): CopyResult {
  const v = smallInteger(value, -0x8000, 0x7fff);
  return written(options === undefined || !bigEndian(options) ? W.i16(address, v) : W.i16be(address, v), address, 2);
}

export function writeI32(address: Address, value: number | bigint, options?: ByteOrderOptions): CopyResult {
  const v = smallInteger(value, -0x8000_0000, 0x7fff_ffff);
  return written(options === undefined || !bigEndian(options) ? W.i32(address, v) : W.i32be(address, v), address, 4);
}

export function writeI64(address: Address, value: number | bigint, options?: ByteOrderOptions): CopyResult {
  const v = largeInteger(value, I64_MIN, I64_MAX);
  return written(options === undefined || !bigEndian(options) ? W.i64(address, v) : W.i64be(address, v), address, 8);
}

/** The number rounded to the nearest float32, as DataView#setFloat32 does. */
export function writeF32(address: Address, value: number, options?: ByteOrderOptions): CopyResult {
  const v = float(value);
  return written(options === undefined || !bigEndian(options) ? W.f32(address, v) : W.f32be(address, v), address, 4);
}

export function writeF64(address: Address, value: number, options?: ByteOrderOptions): CopyResult {
  const v = float(value);
  return written(options === undefined || !bigEndian(options) ? W.f64(address, v) : W.f64be(address, v), address, 8);
}

export function writePointer(address: Address, value: number | bigint, options?: ByteOrderOptions): CopyResult {
  const v = largeInteger(value, 0n, U64_MAX);
  return written(options === undefined || !bigEndian(options) ? W.u64(address, v) : W.u64be(address, v), address, 8);
}
