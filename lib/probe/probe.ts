// Probing: what one read finds at an address (probe, isReadable, probeMany), which parts of an address space are
// readable (scanReadable), and the mappings a process has (readMaps). Every `readable` comes from a real access
// (a guarded load here, a process_vm_readv read for another pid); misuse throws before the addon is called.
import * as fs from 'node:fs';
import { types } from 'node:util';

import { invalidArgType, invalidArgValue, outOfRange } from '../common/errors';
import { binding } from '../common/native';
import type { Address } from '../common/types';
import { checkLength, checkKnownOptions, checkPid } from '../common/validate';
import { procFileError } from './proc-files';

/**
 * What a read of a byte finds: `readable` (only ever from a real read), `protected` (mapped, but the read faulted:
 * SEGV_ACCERR, SEGV_PKUERR or SIGBUS), `unmapped` (SEGV_MAPERR, or the gap below `[stack]`, which is never
 * touched) or `noncanonical` (between the two canonical halves of x86-64, decided arithmetically).
 * @group Probing and fuzzing
 */
export type PageState = 'readable' | 'protected' | 'unmapped' | 'noncanonical';

/**
 * The values probeMany writes, one per address.
 * @group Probing and fuzzing
 */
export const ProbeCode: Readonly<{
  /** {@link PageState} 'readable' */
  readable: 0;
  /** {@link PageState} 'protected' */
  protected: 1;
  /** {@link PageState} 'unmapped' */
  unmapped: 2;
  /** {@link PageState} 'noncanonical' */
  noncanonical: 3;
}> = Object.freeze({ ...binding.probeCodes });
const STATES: readonly PageState[] = (Object.keys(ProbeCode) as PageState[]).sort((a, b) => ProbeCode[a] - ProbeCode[b]);

/**
 * An address range [start, end).
 * @group Probing and fuzzing
 */
export interface Range {
  /** the first address */
  start: bigint;
  /** exclusive */
  end: bigint;
}

/**
 * Options of {@link probe}, {@link isReadable}, {@link probeMany} and {@link probeManyAsync}.
 * @group Probing and fuzzing
 */
export interface ProbeOptions {
  /** another process, read through process_vm_readv */
  pid?: number;
}

/**
 * Options of {@link scanReadable}: the window [start, end) and the process.
 * @group Probing and fuzzing
 */
export interface ScanOptions {
  /** default 0 */
  start?: Address;
  /** exclusive; default the end of user space (2^47 on x86-64, 2^48 on arm64) */
  end?: Address;
  /** another process, read through process_vm_readv */
  pid?: number;
}

/**
 * One line of /proc/<pid>/maps; `path` is a Buffer of the kernel's bytes with `{ encoding: 'buffer' }`.
 * @typeParam Path - `string` (decoded as UTF-8, the default) or `Buffer` (the kernel's bytes)
 * @group Probing and fuzzing
 */
export interface MapEntry<Path extends string | Buffer = string> {
  /** the mapping's first address */
  start: bigint;
  /** the end of the mapping, exclusive */
  end: bigint;
  /** e.g. 'r-xp' */
  perms: string;
  /** the offset in the file mapped */
  offset: bigint;
  /** 'major:minor' in hex, as the kernel prints it */
  device: string;
  /** the file's inode (0 for anonymous memory) */
  inode: number;
  /** as the kernel prints it: a file path (maybe with ' (deleted)'), '[heap]', '[anon:name]', or '' */
  path: Path;
}

/**
 * Options of {@link readMaps}.
 * @group Probing and fuzzing
 */
export interface ReadMapsOptions {
  /**
   * How `path` is given, as in Node's fs: 'utf8' (the default) decodes the kernel's bytes, so a name that is not
   * valid UTF-8 no longer names its file; 'buffer' gives them as they are, which fs accepts as a path.
   */
  encoding?: 'utf8' | 'utf-8' | 'buffer';
}

/** @internal */
export const ADDRESS_MAX = (1n << 64n) - 1n;
/** @internal Where user space ends on this machine (x64: 2^47, arm64: 2^48): the default end of a scan. */
export const USER_END: bigint = binding.machine.userAddressEnd;
const PAGE = BigInt(binding.pageSize);

/** @internal An address argument as a bigint: a bigint in [0, 2^64) or a non-negative safe-integer number. */
export function toAddress(value: unknown, name: string): bigint {
  if (typeof value === 'bigint') {
    if (value < 0n || value > ADDRESS_MAX) throw outOfRange(name, `an address from 0 to 0x${ADDRESS_MAX.toString(16)}`, value);
    return value;
  }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw outOfRange(name, 'a non-negative safe integer address (use a bigint beyond 2^53)', value);
    return BigInt(value);
  }
  throw invalidArgType(name, 'of type bigint or number (an address)', value);
}

const PROBE_OPTIONS = ['pid'];
const SCAN_OPTIONS = ['start', 'end', 'pid'];

function pidOf(options: ProbeOptions | ScanOptions | undefined): number {
  const pid = options?.pid;
  if (pid === undefined) return 0;
  checkPid(pid);
  return pid;
}

/**
 * What one read of a byte at `address` finds: readable, protected, unmapped or noncanonical (x86-64 only: arm64
 * has no such class, and its top-byte-ignore reads a tagged address's untagged memory). The read is guarded: a fault is the answer, never a crash; nothing is read in the gap below `[stack]`.
 * With `options.pid`, the byte is read with process_vm_readv, as {@link probeMany} reads it.
 * @param address - the address to probe
 * @param options - another process to probe
 * @returns the state of the byte at `address`
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `options` not an object or `options.pid` not a number
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `pid`
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `address` is negative, above 2^64 - 1 or an unsafe number, or `options.pid` not a positive 32-bit integer
 * @throws {@link SystemError} when another process cannot be read (`EPERM`, `ESRCH`)
 * @group Probing and fuzzing
 * @example
 * ```ts
 * import { addressOf, probe } from 'memprobe';
 *
 * console.log(probe(addressOf(Buffer.alloc(8))));  // readable
 * console.log(probe(0n));                          // unmapped
 * console.log(probe(0x8000_0000_0000n));           // noncanonical on x86-64, unmapped on arm64
 * ```
 */
export function probe(address: Address, options?: ProbeOptions): PageState {
  const start = toAddress(address, 'address');
  if (options === undefined) return STATES[binding.probe(start)];
  checkKnownOptions(options, PROBE_OPTIONS);
  const pid = pidOf(options);
  if (pid === 0) return STATES[binding.probe(start)];
  const codes = new Uint8Array(1);
  binding.probeMany(new BigUint64Array([start]), codes, pid);
  return STATES[codes[0]];
}

/**
 * Whether every byte of [address, address + length) can be read now (one real read per page). With
 * `options.pid`, each page is read with process_vm_readv, as {@link scanReadable} reads it.
 * @param address - the first byte
 * @param length - bytes, a non-negative integer (default 1; 0 is always readable)
 * @param options - another process
 * @returns true when every page of the range was read without a fault
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `address` is not a bigint or number, `length` not a number, `options` not an object or `options.pid` not a number
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options` has a property other than `pid`
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `address` is out of range, `length` is not a non-negative safe
 * integer, address + length passes 2^64, or `options.pid` is not a positive 32-bit integer
 * @throws {@link SystemError} when the maps of another process cannot be read, or it cannot be read (`EPERM`, `ESRCH`)
 * @group Probing and fuzzing
 */
export function isReadable(address: Address, length = 1, options?: ProbeOptions): boolean {
  const start = toAddress(address, 'address');
  checkLength(length);
  if (start + BigInt(length) > ADDRESS_MAX + 1n) throw outOfRange('length', `such that "address" + "length" does not pass 2^64 (address is 0x${start.toString(16)})`, length);
  checkKnownOptions(options, PROBE_OPTIONS);
  const pid = pidOf(options);
  if (pid !== 0) {
    // An empty range still asks the process: one this process may not read (EPERM), or one that is gone
    // (ESRCH), is the same error for every length.
    if (length === 0) {
      binding.scanReadable(start, start, pid);
      return true;
    }
    // The readable ranges of the window, merged: every byte is readable when one range covers them all.
    const end = start + BigInt(length);
    const ranges = scanReadable({ start, end, pid });
    return ranges.length === 1 && ranges[0].start === start && ranges[0].end === end;
  }
  if (length === 0) return true;
  return binding.readablePrefix(start, length) === length;
}

function checkAddresses(addresses: unknown): asserts addresses is BigUint64Array {
  if (!types.isBigUint64Array(addresses)) throw invalidArgType('addresses', 'an instance of BigUint64Array', addresses);
}

/**
 * A ProbeCode per address, in one native call (this process, or `options.pid`).
 * With `pid`, `readable` means a process_vm_readv read of that page succeeded; a page its maps list but that cannot
 * be read is `protected`, one they do not list `unmapped`.
 * @param addresses - the addresses to probe
 * @param options - another process to probe
 * @returns one {@link ProbeCode} value per address, in the same order
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `addresses` is not a BigUint64Array or `options` not an object
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `options.pid` is not a positive 32-bit integer
 * @throws {@link SystemError} when another process cannot be read (`EPERM`, `ESRCH`)
 * @group Probing and fuzzing
 * @example
 * ```ts
 * import { addressOf, ProbeCode, probeMany } from 'memprobe';
 *
 * const codes = probeMany(new BigUint64Array([addressOf(Buffer.alloc(8)), 0n]));
 * console.log(codes[0] === ProbeCode.readable, codes[1] === ProbeCode.unmapped);  // true true
 * ```
 */
export function probeMany(addresses: BigUint64Array, options?: ProbeOptions): Uint8Array {
  checkAddresses(addresses);
  checkKnownOptions(options, PROBE_OPTIONS);
  const pid = pidOf(options);
  const codes = new Uint8Array(addresses.length);
  if (addresses.length > 0) binding.probeMany(addresses, codes, pid);
  return codes;
}

/**
 * probeMany on the libuv threadpool. `addresses` must stay attached until the promise settles.
 * @param addresses - the addresses to probe
 * @param options - another process to probe
 * @returns a promise of one {@link ProbeCode} value per address
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`): the promise rejects with it as {@link probeMany} throws it
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`): the promise rejects with it as {@link probeMany} throws it
 * @throws {@link SystemError}: the promise rejects with it when another process cannot be read
 * @group Probing and fuzzing
 */
export async function probeManyAsync(addresses: BigUint64Array, options?: ProbeOptions): Promise<Uint8Array> {
  checkAddresses(addresses);
  checkKnownOptions(options, PROBE_OPTIONS);
  const pid = pidOf(options);
  const codes = new Uint8Array(addresses.length);
  if (addresses.length > 0) await binding.probeManyAsync(addresses, codes, pid);
  return codes;
}

/** The window a scan covers, checked: [start, end) with start <= end. */
function scanWindow(options: ScanOptions | undefined): { start: bigint; end: bigint; pid: number } {
  checkKnownOptions(options, SCAN_OPTIONS);
  const start = options?.start === undefined ? 0n : toAddress(options.start, 'options.start');
  const end = options?.end === undefined ? USER_END : toAddress(options.end, 'options.end');
  if (start > end) throw outOfRange('options.start', `at most options.end (0x${end.toString(16)})`, start);
  return { start, end, pid: pidOf(options) };
}

/**
 * The maximal readable ranges of [start, end) (default: all of user space, [0, 2^47) on x86-64, [0, 2^48) on arm64), sorted, merged, exact to the page
 * and clipped to the window. With `pid`, every page another process's maps list as readable is read once.
 * @param options - the window, and another process
 * @returns the readable ranges, in address order (none for an empty window)
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `options` is not an object, or a bound not a bigint or number
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when a bound is out of range, `start` > `end`, or `pid` is not a positive 32-bit integer
 * @throws {@link SystemError} when the maps of another process cannot be read, or it cannot be read (`EPERM`, `ESRCH`)
 * @group Probing and fuzzing
 * @example
 * ```ts
 * import { mapPages, pageSize, scanReadable } from 'memprobe';
 *
 * const pages = mapPages(3);
 * pages.protect(pageSize, pageSize, 'none');
 * const ranges = scanReadable({ start: pages.address, end: pages.address + BigInt(3 * pageSize) });
 * console.log(ranges.map((r) => Number(r.end - r.start) / pageSize));  // [ 1, 1 ]
 * pages.unmap();
 * ```
 */
export function scanReadable(options?: ScanOptions): Range[] {
  const { start, end, pid } = scanWindow(options);
  if (start === end) return [];
  const pageStart = start - (start % PAGE);
  // The last page of the address space is never readable: keep the rounded end inside 2^64.
  const pageEnd = end > ADDRESS_MAX - PAGE ? ADDRESS_MAX - PAGE + 1n : ((end + PAGE - 1n) / PAGE) * PAGE;
  const found = binding.scanReadable(pageStart, pageEnd, pid);
  const ranges: Range[] = [];
  for (let i = 0; i < found.length; i += 2) {
    const from = found[i] > start ? found[i] : start;
    const to = found[i + 1] < end ? found[i + 1] : end;
    if (from < to) ranges.push({ start: from, end: to });
  }
  return ranges;
}

const MAPS_LINE = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) (\S+) (\d+)(?: +(.*))?$/;

/** @internal Parses the text of a /proc/<pid>/maps file. */
export function parseMaps(text: string): MapEntry[] {
  const entries: MapEntry[] = [];
  for (const line of text.split('\n')) {
    const match = MAPS_LINE.exec(line);
    if (match === null) continue;
    entries.push({
      start: BigInt('0x' + match[1]),
      end: BigInt('0x' + match[2]),
      perms: match[3],
      offset: BigInt('0x' + match[4]),
      device: match[5],
      inode: Number(match[6]),
      path: match[7] ?? '',
    });
  }
  return entries;
}

/** The encoding `options` asks for; anything but the one known option, with a known value, is refused. */
function mapsEncoding(options: unknown): 'utf8' | 'buffer' {
  checkKnownOptions(options, ['encoding']);
  if (options === undefined) return 'utf8';
  const encoding = (options as ReadMapsOptions).encoding;
  if (encoding === undefined || encoding === 'utf8' || encoding === 'utf-8') return 'utf8';
  if (encoding === 'buffer') return 'buffer';
  throw invalidArgValue('options.encoding', "'utf8' or 'buffer'", encoding);
}

/**
 * The mappings of this process (or `pid`), as /proc/<pid>/maps lists them, each `path` decoded as UTF-8.
 * @param pid - another process (default: this one)
 * @param options - `encoding`: 'utf8' (the default) or 'buffer' (see the next signature)
 * @returns one entry per line of the maps file, in address order
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `pid` is not a number or `options` not an object
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) for an unknown option name or encoding
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `pid` is not a positive 32-bit integer
 * @throws {@link SystemError} when the maps file cannot be read: for a process that is gone or a zombie (`ESRCH`)
 * or one this process may not read (`EPERM`), the error a read of its memory gives (`syscall` process_vm_readv,
 * `cause` the refused open of its maps); otherwise the open's own (`EMFILE`, …)
 * @group Probing and fuzzing
 * @example
 * ```ts
 * import { readMaps } from 'memprobe';
 *
 * const stack = readMaps().find((entry) => entry.path === '[stack]');
 * console.log(stack?.perms);  // rw-p
 * ```
 */
export function readMaps(pid?: number, options?: { encoding?: 'utf8' | 'utf-8' }): MapEntry[];
/**
 * The mappings with each `path` a Buffer of the kernel's bytes, as Node's fs gives names with
 * `{ encoding: 'buffer' }`: a name that is not valid UTF-8 still names its file (fs accepts the Buffer as a path).
 * @param pid - another process, or undefined for this one
 * @param options - `{ encoding: 'buffer' }`
 * @returns one entry per line of the maps file, in address order
 * @throws the same errors as the first signature
 * @group Probing and fuzzing
 */
export function readMaps(pid: number | undefined, options: { encoding: 'buffer' }): MapEntry<Buffer>[];
/**
 * The mappings, with the encoding chosen at run time.
 * @param pid - another process (default: this one)
 * @param options - `encoding`: 'utf8' (the default) or 'buffer'
 * @returns entries whose `path` is a string or a Buffer, as `options.encoding` asks
 * @throws the same errors as the first signature
 * @group Probing and fuzzing
 */
export function readMaps(pid?: number, options?: ReadMapsOptions): MapEntry[] | MapEntry<Buffer>[];
export function readMaps(pid?: number, options?: ReadMapsOptions): MapEntry[] | MapEntry<Buffer>[] {
  if (pid !== undefined) checkPid(pid, 'pid');
  const encoding = mapsEncoding(options);
  let bytes: Buffer;
  const file = `/proc/${pid ?? 'self'}/maps`;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    // A process that is gone, or that this one may not read: the SystemError a read of its memory gives.
    throw procFileError(error, pid, file);
  }
  // A zombie's maps are empty (so are a kernel thread's): it must not pass for a live process with nothing mapped.
  if (pid !== undefined && bytes.length === 0) binding.checkProcessAlive(pid);
  if (encoding === 'utf8') return parseMaps(bytes.toString('utf8'));
  // latin1 gives each byte its own character and back, so the path's bytes come through exactly.
  return parseMaps(bytes.toString('latin1')).map((entry) => ({ ...entry, path: Buffer.from(entry.path, 'latin1') }));
}
