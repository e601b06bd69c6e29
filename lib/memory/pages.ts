// Page fixtures for tests, fuzzing and demos: anonymous mappings with chosen protections, and file mappings
// (a shared file mapping truncated under it is how a SIGBUS is made).
import { inspect } from 'node:util';

import { invalidArgType, invalidArgValue, outOfRange } from '../common/errors';
import { binding } from '../common/native';
import type { Protection } from '../common/types';
import { checkLength, checkPositiveInteger } from '../common/validate';

export interface Mapping {
  readonly address: bigint;
  /** bytes, a multiple of pageSize */
  readonly size: number;
  /** Changes the protection of whole pages; offsets in bytes, page-aligned. */
  protect(offset: number, length: number, protection: Protection): void;
  /** Unmaps whole pages (all of them by default). */
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

/** An anonymous private mapping of `count` pages (default protection 'rw'). */
export function mapPages(count: number, protection: Protection = 'rw'): Mapping {
  checkPositiveInteger(count, 'count');
  const flags = protectionFlags(protection);
  const size = count * PAGE;
  return new PageMapping(binding.mapAnonymous(size, flags), size);
}

export interface MapFileOptions {
  /** MAP_SHARED instead of MAP_PRIVATE (default false) */
  shared?: boolean;
  /** map it writable (default false); a shared writable mapping opens the file read-write */
  writable?: boolean;
}

/**
 * Maps the first `length` bytes of the regular file at `path` (the mapping's size is rounded up to whole pages).
 * Anything else (a FIFO, a socket, a device, a directory) is refused without waiting on it.
 */
export function mapFile(path: string, length: number, options: MapFileOptions = {}): Mapping {
  if (typeof path !== 'string') throw invalidArgType('path', 'of type string', path);
  // The C library would end the path at the first NUL and map another file; Node's fs refuses such paths too.
  if (path.includes('\0')) throw invalidArgValue('path', 'a string without null bytes', path, inspect(path));
  checkPositiveInteger(length, 'length');
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const { shared = false, writable = false } = options;
  if (typeof shared !== 'boolean') throw invalidArgType('options.shared', 'of type boolean', shared);
  if (typeof writable !== 'boolean') throw invalidArgType('options.writable', 'of type boolean', writable);
  const size = Math.ceil(length / PAGE) * PAGE;
  const address = binding.mapFile(path, size, shared, writable);
  if (typeof address === 'string') throw invalidArgValue('path', 'a regular file', path, `${inspect(path)}, ${address}`);
  return new PageMapping(address, size);
}
