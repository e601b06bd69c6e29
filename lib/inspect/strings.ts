// Strings at raw addresses: a C string up to its NUL, UTF-8 bytes of a known length, UTF-16 up to a zero unit.
// A fault is a value with the prefix read before it, decoded, in `partial`. Decoding follows TextDecoder: an
// invalid UTF-8 sequence or an unpaired UTF-16 surrogate becomes U+FFFD.
import { constants as bufferConstants } from 'node:buffer';

import { invalidArgType, outOfRange } from '../common/errors';
import { lastByteCount, lastFault } from '../memory/copy';
import { binding } from '../common/native';
import { ADDRESS_MAX, toAddress } from '../probe/probe';
import type { Address, Fault } from '../common/types';
import { checkLength, checkKnownOptions, checkPid } from '../common/validate';

/**
 * Options of {@link readCString} and {@link readUtf16}.
 * @group Inspecting
 */
export interface StringReadOptions {
  /** at most this many bytes (readCString) or UTF-16 code units (readUtf16); default: up to the terminator */
  maxLength?: number;
  /**
   * another process, read with process_vm_readv: one call per batch of pages with an iovec per page, so a string
   * that ends before a page that cannot be read reads whole; a fault is `EFAULT` at the first byte of that page
   */
  pid?: number;
}

/**
 * Options of {@link readUtf8}.
 * @group Inspecting
 */
export interface Utf8ReadOptions {
  /** another process, read with process_vm_readv; a fault is `EFAULT` */
  pid?: number;
}

/**
 * The string read, or the fault that ended it early with what was read before it.
 * @group Inspecting
 */
export type StringRead = (
  | {
    /** the string was read to its end */
    ok: true;
    /** the string, decoded */
    value: string;
    /** no fault */
    fault: null;
  }
  | {
    /** a fault ended the read early */
    ok: false;
    /** what stopped the read, at the first byte of the page that could not be read */
    fault: Fault;
    /** the bytes read before the fault, decoded */
    partial: string;
  }
) & {
  /** bytes read, the terminator not counted */
  bytesRead: number;
};

// The longest string V8 makes; a decoded byte or unit never makes more than one code unit.
const MAX_STRING = bufferConstants.MAX_STRING_LENGTH;

const STRING_OPTIONS = ['maxLength', 'pid'];
const UTF8_OPTIONS = ['pid'];
// The kinds of binding.readProcessString.
const KIND = { cString: 0, utf8: 1, utf16: 2 };

/** The process `options` names (0: this one), after checking every option name against `accepted`. */
function processOf(options: StringReadOptions | Utf8ReadOptions | undefined, accepted: readonly string[]): number {
  checkKnownOptions(options, accepted);
  const pid = options?.pid;
  if (pid === undefined) return 0;
  checkPid(pid);
  return pid;
}

function maxLength(options: StringReadOptions | undefined): number {
  if (options === undefined) return MAX_STRING;
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const value = options.maxLength;
  if (value === undefined) return MAX_STRING;
  checkLength(value, 'options.maxLength');
  if (value > MAX_STRING) throw outOfRange('options.maxLength', `at most buffer.constants.MAX_STRING_LENGTH (${MAX_STRING})`, value);
  return value;
}

function result(text: string | [string] | null, address: Address): StringRead {
  if (typeof text === 'string') return { ok: true, value: text, fault: null, bytesRead: lastByteCount() };
  if (text === null) {
    toAddress(address, 'address');  // throws the right error for the type or range
    throw new Error('memprobe: the addon refused an address that was checked');
  }
  const { bytesCopied, fault } = lastFault();
  return { ok: false, fault, partial: text[0], bytesRead: bytesCopied };
}

/**
 * The bytes from `address` up to the first NUL (or `maxLength` bytes), decoded as UTF-8. Memory is searched page
 * by page: nothing is read from a page past the one the NUL is on.
 * An invalid UTF-8 sequence becomes U+FFFD, as TextDecoder decodes it.
 * @param address - the string's first byte
 * @param options - the most bytes to read (default: up to the NUL), and another process
 * @returns the string and `bytesRead` (the NUL not counted), or the fault with the prefix before it in `partial`
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `options` not an object, `options.maxLength` or `options.pid` not a number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `address` is negative, above 2^64 - 1 or an unsafe number, or
 * `options.maxLength` is not a non-negative integer up to `buffer.constants.MAX_STRING_LENGTH`, or `options.pid` not a positive 32-bit integer
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `maxLength` and `pid`
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv fails for a reason other than a fault: `EPERM` or `ESRCH`, with `pid` set
 * @group Inspecting
 * @example
 * ```ts
 * import { addressOf, readCString } from 'memprobe';
 *
 * const text = readCString(addressOf(Buffer.from('memprobe\0tail')));
 * console.log(text.ok && text.value, text.bytesRead);  // memprobe 8
 * ```
 */
export function readCString(address: Address, options?: StringReadOptions): StringRead {
  const pid = processOf(options, STRING_OPTIONS);
  const limit = maxLength(options);
  return result(pid === 0 ? binding.readCString(address, limit) : binding.readProcessString(address, limit, pid, KIND.cString), address);
}

/**
 * Exactly `length` bytes from `address` (NULs included) decoded as UTF-8, or the readable prefix and the fault.
 * @param address - the first byte
 * @param length - bytes to read, a non-negative integer up to `buffer.constants.MAX_STRING_LENGTH`
 * @param options - another process
 * @returns the string and `bytesRead`, or the fault with the prefix before it in `partial`
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `length` not a number, `options` not an object or `options.pid` not a number
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `pid`
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv fails for a reason other than a fault: `EPERM` or `ESRCH`, with `pid` set
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `address` is negative, above 2^64 - 1 or an unsafe number, `length`
 * is not a non-negative integer up to `buffer.constants.MAX_STRING_LENGTH`, address + length passes 2^64, or `options.pid` is not a positive 32-bit integer
 * @group Inspecting
 */
export function readUtf8(address: Address, length: number, options?: Utf8ReadOptions): StringRead {
  checkLength(length);
  if (length > MAX_STRING) throw outOfRange('length', `at most buffer.constants.MAX_STRING_LENGTH (${MAX_STRING})`, length);
  const pid = processOf(options, UTF8_OPTIONS);
  const text = pid === 0 ? binding.readUtf8(address, length) : binding.readProcessString(address, length, pid, KIND.utf8);
  if (text === null) {
    const start = toAddress(address, 'address');
    if (start + BigInt(length) > ADDRESS_MAX + 1n) {
      throw outOfRange('length', `such that "address" + "length" does not pass 2^64 (address is 0x${start.toString(16)})`, length);
    }
  }
  return result(text, address);
}

/**
 * Little-endian UTF-16 code units from `address` up to the first zero unit (or `maxLength` units). A surrogate
 * pair is one character; an unpaired surrogate becomes U+FFFD. Read page by page like readCString.
 * @param address - the string's first byte
 * @param options - the most code units to read (default: up to the zero unit), and another process
 * @returns the string and `bytesRead` (the zero unit not counted), or the fault with the prefix before it in `partial`
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `options` not an object, `options.maxLength` or `options.pid` not a number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `address` is negative, above 2^64 - 1 or an unsafe number, or
 * `options.maxLength` is not a non-negative integer up to `buffer.constants.MAX_STRING_LENGTH`, or `options.pid` not a positive 32-bit integer
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `maxLength` and `pid`
 * @throws {@link SystemError} with `options.pid`, when process_vm_readv fails for a reason other than a fault: `EPERM` or `ESRCH`, with `pid` set
 * @group Inspecting
 */
export function readUtf16(address: Address, options?: StringReadOptions): StringRead {
  const pid = processOf(options, STRING_OPTIONS);
  const limit = maxLength(options);
  return result(pid === 0 ? binding.readUtf16(address, limit) : binding.readProcessString(address, limit, pid, KIND.utf16), address);
}
