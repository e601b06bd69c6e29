// Probing: what one read finds at an address (probe, isReadable, probeMany), which parts of an address space are
// readable (scanReadable), and the mappings a process has (readMaps). Every `readable` comes from a real access
// (a guarded load here, a process_vm_readv read for another pid); misuse throws before the addon is called.
import * as fs from 'node:fs';
import { constants } from 'node:os';
import { inspect, types } from 'node:util';

import { invalidArgType, invalidArgValue, outOfRange, SystemError } from './errors';
import { binding } from './native';
import type { Address } from './types';
import { checkLength, checkPid } from './validate';

export type PageState = 'readable' | 'protected' | 'unmapped' | 'noncanonical';

/** The values probeMany writes, one per address. */
export const ProbeCode: Readonly<{ readable: 0; protected: 1; unmapped: 2; noncanonical: 3 }> = Object.freeze({ ...binding.probeCodes });
const STATES: readonly PageState[] = (Object.keys(ProbeCode) as PageState[]).sort((a, b) => ProbeCode[a] - ProbeCode[b]);

export interface Range {
  start: bigint;
  /** exclusive */
  end: bigint;
}

export interface ProbeOptions {
  /** another process, read through process_vm_readv */
  pid?: number;
}

export interface ScanOptions {
  /** default 0 */
  start?: Address;
  /** exclusive; default 2^47, the end of the user half */
  end?: Address;
  pid?: number;
}

/** One line of /proc/<pid>/maps; `path` is a Buffer of the kernel's bytes with `{ encoding: 'buffer' }`. */
export interface MapEntry<Path extends string | Buffer = string> {
  start: bigint;
  end: bigint;
  /** e.g. 'r-xp' */
  perms: string;
  offset: bigint;
  /** 'major:minor' in hex, as the kernel prints it */
  device: string;
  inode: number;
  /** as the kernel prints it: a file path (maybe with ' (deleted)'), '[heap]', '[anon:name]', or '' */
  path: Path;
}

export interface ReadMapsOptions {
  /**
   * How `path` is given, as in Node's fs: 'utf8' (the default) decodes the kernel's bytes, so a name that is not
   * valid UTF-8 no longer names its file; 'buffer' gives them as they are, which fs accepts as a path.
   */
  encoding?: 'utf8' | 'utf-8' | 'buffer';
}

/** @internal */
export const ADDRESS_MAX = (1n << 64n) - 1n;
/** @internal */
export const USER_END = 1n << 47n;
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

function checkOptions(options: unknown): void {
  if (options !== undefined && (options === null || typeof options !== 'object')) throw invalidArgType('options', 'of type object', options);
}

function pidOf(options: ProbeOptions | ScanOptions | undefined): number {
  const pid = options?.pid;
  if (pid === undefined) return 0;
  checkPid(pid);
  return pid;
}

/** What one read of a byte at `address` finds: readable, protected, unmapped or noncanonical. */
export function probe(address: Address): PageState {
  return STATES[binding.probe(toAddress(address, 'address'))];
}

/** Whether every byte of [address, address + length) can be read now (one real read per page). */
export function isReadable(address: Address, length = 1): boolean {
  const start = toAddress(address, 'address');
  checkLength(length);
  if (start + BigInt(length) > ADDRESS_MAX + 1n) throw outOfRange('length', `such that "address" + "length" does not pass 2^64 (address is 0x${start.toString(16)})`, length);
  if (length === 0) return true;
  return binding.readablePrefix(start, length) === length;
}

function checkAddresses(addresses: unknown): asserts addresses is BigUint64Array {
  if (!types.isBigUint64Array(addresses)) throw invalidArgType('addresses', 'an instance of BigUint64Array', addresses);
}

/** A ProbeCode per address, in one native call (this process, or `options.pid`). */
export function probeMany(addresses: BigUint64Array, options?: ProbeOptions): Uint8Array {
  checkAddresses(addresses);
  checkOptions(options);
  const pid = pidOf(options);
  const codes = new Uint8Array(addresses.length);
  if (addresses.length > 0) binding.probeMany(addresses, codes, pid);
  return codes;
}

/** probeMany on the libuv threadpool. `addresses` must stay attached until the promise settles. */
export async function probeManyAsync(addresses: BigUint64Array, options?: ProbeOptions): Promise<Uint8Array> {
  checkAddresses(addresses);
  checkOptions(options);
  const pid = pidOf(options);
  const codes = new Uint8Array(addresses.length);
  if (addresses.length > 0) await binding.probeManyAsync(addresses, codes, pid);
  return codes;
}

/** The window a scan covers, checked: [start, end) with start <= end. */
function scanWindow(options: ScanOptions | undefined): { start: bigint; end: bigint; pid: number } {
  checkOptions(options);
  const start = options?.start === undefined ? 0n : toAddress(options.start, 'options.start');
  const end = options?.end === undefined ? USER_END : toAddress(options.end, 'options.end');
  if (start > end) throw outOfRange('options.start', `at most options.end (0x${end.toString(16)})`, start);
  return { start, end, pid: pidOf(options) };
}

/**
 * The maximal readable ranges of [start, end) (default: the user half [0, 2^47)), sorted, merged, exact to the page
 * and clipped to the window. With `pid`, every page another process's maps list as readable is read once.
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

/** The error a failed read of /proc/<pid>/maps stands for: a process that is gone is ESRCH. */
function mapsError(error: NodeJS.ErrnoException, pid: number | undefined): Error {
  if (error.code === 'ENOENT') return new SystemError('open', 'ESRCH', constants.errno.ESRCH, 'No such process', pid);
  if (typeof error.code !== 'string' || typeof error.errno !== 'number') return error;
  const description = /^[A-Z0-9]+: ([^,]+)/.exec(error.message)?.[1] ?? error.code;
  return new SystemError(error.syscall ?? 'open', error.code, -error.errno, description, pid);
}

/** The encoding `options` asks for; anything but the one known option, with a known value, is refused. */
function mapsEncoding(options: unknown): 'utf8' | 'buffer' {
  checkOptions(options);
  if (options === undefined) return 'utf8';
  const unknown = Object.keys(options as object).find((name) => name !== 'encoding');
  if (unknown !== undefined) {
    throw invalidArgValue('options', "an object whose only property is 'encoding'", options, `an object with the property ${inspect(unknown)}`);
  }
  const encoding = (options as ReadMapsOptions).encoding;
  if (encoding === undefined || encoding === 'utf8' || encoding === 'utf-8') return 'utf8';
  if (encoding === 'buffer') return 'buffer';
  throw invalidArgValue('options.encoding', "'utf8' or 'buffer'", encoding);
}

/**
 * The mappings of this process (or `pid`), as /proc/<pid>/maps lists them. With `{ encoding: 'buffer' }` each
 * `path` is a Buffer of the kernel's bytes, so a name that is not valid UTF-8 still names its file.
 */
export function readMaps(pid?: number, options?: { encoding?: 'utf8' | 'utf-8' }): MapEntry[];
export function readMaps(pid: number | undefined, options: { encoding: 'buffer' }): MapEntry<Buffer>[];
export function readMaps(pid?: number, options?: ReadMapsOptions): MapEntry[] | MapEntry<Buffer>[];
export function readMaps(pid?: number, options?: ReadMapsOptions): MapEntry[] | MapEntry<Buffer>[] {
  if (pid !== undefined) checkPid(pid, 'pid');
  const encoding = mapsEncoding(options);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(`/proc/${pid ?? 'self'}/maps`);
  } catch (error) {
    // A process that is gone: the ESRCH a read of its memory reports, as every { pid } API does.
    if (pid !== undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') binding.checkProcessAlive(pid);
    throw mapsError(error as NodeJS.ErrnoException, pid);
  }
  // A zombie's maps are empty (so are a kernel thread's): it must not pass for a live process with nothing mapped.
  if (pid !== undefined && bytes.length === 0) binding.checkProcessAlive(pid);
  if (encoding === 'utf8') return parseMaps(bytes.toString('utf8'));
  // latin1 gives each byte its own character and back, so the path's bytes come through exactly.
  return parseMaps(bytes.toString('latin1')).map((entry) => ({ ...entry, path: Buffer.from(entry.path, 'latin1') }));
}
