// Page fixtures for tests, fuzzing and demos: anonymous mappings with chosen protections, and file mappings
// (a shared file mapping truncated under it is how a SIGBUS is made).
import { inspect } from 'node:util';

import { invalidArgType, invalidArgValue, outOfRange } from '../common/errors';
import { binding } from '../common/native';
import type { Protection } from '../common/types';
import { checkKnownOptions, checkLength, checkPositiveInteger } from '../common/validate';

/**
 * Pages mapped by {@link mapPages} or {@link mapFile}. A page once unmapped is never passed to munmap or mprotect
 * again (by then it may belong to someone else's mapping).
 * @group Memory, pages and the guard
 */
export interface Mapping {
  /** the address of the first page */
  readonly address: bigint;
  /** bytes, a multiple of pageSize */
  readonly size: number;
  /**
   * Changes the protection of whole pages; offsets in bytes, page-aligned.
   * @param offset - bytes from the start of the mapping, a multiple of the page size
   * @param length - bytes, a multiple of the page size (0 changes nothing)
   * @param protection - the new protection
   * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when an argument has the wrong type
   * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `protection` is unknown, or a page of the range was unmapped
   * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `offset` or `length` is negative or not a multiple of the page size, or the range passes the mapping's end
   * @throws {@link SystemError} when mprotect fails
   */
  protect(offset: number, length: number, protection: Protection): void;
  /**
   * Unmaps whole pages (all of them by default). Pages already unmapped are skipped.
   * @param offset - bytes from the start of the mapping, a multiple of the page size (default 0)
   * @param length - bytes, a multiple of the page size (default: up to the mapping's end)
   * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `offset` or `length` is not a number
   * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `offset` or `length` is negative or not a multiple of the page size, or the range passes the mapping's end
   * @throws {@link SystemError} when munmap fails
   */
  unmap(offset?: number, length?: number): void;
}

const PAGE = binding.pageSize;

function protectionFlags(protection: unknown, name = 'protection'): number {
  if (typeof protection !== 'string') throw invalidArgType(name, 'of type string', protection);
  const flags = (binding.protections as Record<string, number>)[protection];
  if (flags === undefined || !Object.hasOwn(binding.protections, protection)) {
    throw invalidArgValue(name, `one of ${Object.keys(binding.protections).map((p) => `'${p}'`).join(', ')}`, protection);
  }
  return flags;
}

class PageMapping implements Mapping {
  readonly address: bigint;
  readonly size: number;
  // Pages already unmapped: never passed to munmap/mprotect again, since by then they may belong to
  // someone else's mapping.
  readonly #released: Uint8Array;

  constructor(address: bigint, size: number) {
    this.address = address;
    this.size = size;
    this.#released = new Uint8Array(size / PAGE);
  }

  #checkRange(offset: unknown, length: unknown): void {
    checkLength(offset, 'offset');
    checkLength(length, 'length');
    if (offset % PAGE !== 0) throw outOfRange('offset', `a multiple of the page size (${PAGE})`, offset);
    if (length % PAGE !== 0) throw outOfRange('length', `a multiple of the page size (${PAGE})`, length);
    if (offset + length > this.size) throw outOfRange('length', `at most ${this.size - offset} (the mapping's end)`, length);
  }

  protect(offset: number, length: number, protection: Protection): void {
    this.#checkRange(offset, length);
    const flags = protectionFlags(protection);
    const first = offset / PAGE;
    if (this.#released.subarray(first, first + length / PAGE).includes(1)) {
      throw invalidArgValue('offset', 'a range of pages that are still mapped', offset);
    }
    if (length > 0) binding.protect(this.address + BigInt(offset), length, flags);
  }

  unmap(offset = 0, length: number = this.size - offset): void {
    this.#checkRange(offset, length);
    // munmap only runs of pages that are still ours.
    let page = offset / PAGE;
    const end = page + length / PAGE;
    while (page < end) {
      if (this.#released[page] === 1) {
        page++;
        continue;
      }
      let runEnd = page;
      while (runEnd < end && this.#released[runEnd] === 0) runEnd++;
      binding.unmap(this.address + BigInt(page * PAGE), (runEnd - page) * PAGE);
      this.#released.fill(1, page, runEnd);
      page = runEnd;
    }
  }
}

/**
 * An anonymous private mapping of `count` pages (default protection 'rw').
 * For tests, fuzzing and demos: pages whose protection and mapping you control.
 * @param count - pages, a positive integer
 * @param protection - the pages' protection (default `'rw'`)
 * @returns the mapping; unmap it when done
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `count` is not a number or `protection` not a string
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `protection` is unknown
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `count` is not a positive safe integer
 * @throws {@link SystemError} when mmap fails (`ENOMEM`)
 * @group Memory, pages and the guard
 * @example
 * ```ts
 * import { mapPages, pageSize, probe } from 'memprobe';
 *
 * const pages = mapPages(2);
 * pages.protect(pageSize, pageSize, 'none');
 * console.log(probe(pages.address), probe(pages.address + BigInt(pageSize)));  // readable protected
 * pages.unmap();
 * console.log(probe(pages.address));                                          // unmapped
 * ```
 */
export function mapPages(count: number, protection: Protection = 'rw'): Mapping {
  checkPositiveInteger(count, 'count');
  const flags = protectionFlags(protection);
  const size = count * PAGE;
  return new PageMapping(binding.mapAnonymous(size, flags), size);
}

/**
 * Options of {@link mapFile}.
 * @group Memory, pages and the guard
 */
export interface MapFileOptions {
  /** MAP_SHARED instead of MAP_PRIVATE (default false) */
  shared?: boolean;
  /** map it writable (default false); a shared writable mapping opens the file read-write */
  writable?: boolean;
}

/**
 * Maps the first `length` bytes of the regular file at `path` (the mapping's size is rounded up to whole pages).
 * Anything else (a FIFO, a socket, a device, a directory) is refused without waiting on it.
 * A shared mapping of a file truncated under it is how a SIGBUS (`BUS_ADRERR`) is made.
 * @param path - the file's path
 * @param length - bytes to map, a positive integer
 * @param options - shared or private, writable or not
 * @returns the mapping; unmap it when done
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when an argument or option has the wrong type
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `path` holds a NUL byte or is not a regular file
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `length` is not a positive safe integer
 * @throws {@link SystemError} when open, fstat or mmap fails (`ENOENT`, `EACCES`, …)
 * @group Memory, pages and the guard
 */
export function mapFile(path: string, length: number, options: MapFileOptions = {}): Mapping {
  if (typeof path !== 'string') throw invalidArgType('path', 'of type string', path);
  // The C library would end the path at the first NUL and map another file; Node's fs refuses such paths too.
  if (path.includes('\0')) throw invalidArgValue('path', 'a string without null bytes', path, inspect(path));
  checkPositiveInteger(length, 'length');
  checkKnownOptions(options, ['shared', 'writable']);
  const { shared = false, writable = false } = options;
  if (typeof shared !== 'boolean') throw invalidArgType('options.shared', 'of type boolean', shared);
  if (typeof writable !== 'boolean') throw invalidArgType('options.writable', 'of type boolean', writable);
  const size = Math.ceil(length / PAGE) * PAGE;
  const address = binding.mapFile(path, size, shared, writable);
  if (typeof address === 'string') throw invalidArgValue('path', 'a regular file', path, `${inspect(path)}, ${address}`);
  return new PageMapping(address, size);
}
