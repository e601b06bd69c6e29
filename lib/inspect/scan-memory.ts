// scanMemory and scanMemoryIter: every match of a byte pattern in the readable memory of this process (or of
// another one). The readable ranges come from scanReadable (adjacent mappings merged, so a match may straddle
// two); each range is searched natively in bounded chunks that overlap by the pattern's length - 1 bytes, so the
// matches are exactly those of one pass over the range. A chunk that meets a byte that can no longer be read
// (the range was unmapped or protected meanwhile) returns the matches before it; the rest of that range is looked
// at again (scanReadable from the next page on) and the scan goes on with what is still readable.
import { invalidArgType } from '../common/errors';
import { pageSize } from '../memory/copy';
import { binding } from '../common/native';
import { compilePattern, type CompiledPattern } from './pattern';
import { type Range, scanReadable, type ScanOptions } from '../probe/probe';
import type { Address } from '../common/types';
import { checkKnownOptions, checkLength } from '../common/validate';

/**
 * Options of {@link scanMemory} and {@link scanMemoryIter}.
 * @group Inspecting
 */
export interface ScanMemoryOptions {
  /** the window [start, end) a match must lie in; default all of user space ([0, 2^47) on x86-64, [0, 2^48) on arm64), as scanReadable */
  start?: Address;
  /** the window's end, exclusive (default the end of user space: 2^47 on x86-64, 2^48 on arm64) */
  end?: Address;
  /** another process, read through process_vm_readv */
  pid?: number;
  /** called after each chunk with the bytes of readable memory searched so far and in all */
  onProgress?: (done: bigint, total: bigint) => void;
  /** stop after this many matches */
  limit?: number;
}

/** Bytes searched per native call: a synchronous call, and a job on the threadpool for the iterator. */
const SYNC_CHUNK = 16n << 20n;
const ASYNC_CHUNK = 4n << 20n;
/** Matches returned per native call at most (the call stops there and the next one resumes). */
const MATCHES_PER_CALL = 65536;
const PAGE = BigInt(pageSize);
const STATES = binding.scanStates;

interface Chunk {
  start: bigint;
  end: bigint;
  /** matches must start before this (the chunk's share of the range; the rest is overlap) */
  share: bigint;
  range: PendingRange;
}

interface PendingRange extends Range {
  /** found again after a fault: its bytes were already counted as done */
  recounted: boolean;
}

/** What a scan has left to do, and what it has done. The sync and async drivers feed it native results. */
class ScanPlan {
  readonly pattern: CompiledPattern;
  readonly pid: number;
  readonly total: bigint;
  done = 0n;
  found = 0;
  readonly #window: ScanOptions;
  readonly #ranges: PendingRange[];
  readonly #onProgress: ((done: bigint, total: bigint) => void) | undefined;
  readonly #limit: number;

  constructor(pattern: unknown, options: ScanMemoryOptions | undefined) {
    this.pattern = compilePattern(pattern);
    checkKnownOptions(options, ['start', 'end', 'pid', 'onProgress', 'limit']);
    const onProgress = options?.onProgress;
    if (onProgress !== undefined && typeof onProgress !== 'function') throw invalidArgType('options.onProgress', 'of type function', onProgress);
    const limit = options?.limit;
    if (limit !== undefined) checkLength(limit, 'options.limit');
    this.#onProgress = onProgress;
    this.#limit = limit ?? Infinity;
    this.#window = { start: options?.start, end: options?.end, pid: options?.pid };
    this.#ranges = scanReadable(this.#window).map((range) => ({ ...range, recounted: false }));
    this.pid = options?.pid ?? 0;
    this.total = this.#ranges.reduce((sum, range) => sum + (range.end - range.start), 0n);
  }

  /** The next chunk to search, or null when the scan is over. */
  next(size: bigint): Chunk | null {
    const length = BigInt(this.pattern.bytes.length);
    while (this.#ranges.length > 0 && this.found < this.#limit) {
      const range = this.#ranges[0];
      if (range.end - range.start < length) {
        this.#advance(range, range.end);
        continue;
      }
      const share = range.end - range.start > size ? range.start + size : range.end;
      const end = share + length - 1n < range.end ? share + length - 1n : range.end;
      return { start: range.start, end, share, range };
    }
    return null;
  }

  /** Takes a native result ([state, resume, match…]) for `chunk`; returns its matches. */
  accept(chunk: Chunk, result: BigUint64Array): bigint[] {
    const matches = Array.from(result.subarray(2));
    this.found += matches.length;
    const range = chunk.range;
    const state = Number(result[0]);
    const resume = result[1];
    if (state === STATES.limited) {
      this.#advance(range, resume);
    } else if (state === STATES.faulted) {
      // Skip the page that could not be read; what of the rest is still readable is scanned as new ranges.
      const after = (resume / PAGE + 1n) * PAGE;
      this.#advance(range, range.end);
      if (after < range.end) {
        const again = scanReadable({ ...this.#window, start: after, end: range.end });
        this.#ranges.unshift(...again.map((found) => ({ ...found, recounted: true })));
      }
    } else {
      // Matches never overlap: the next chunk starts after the last one if it reaches past the chunk's share.
      const last = matches.length > 0 ? matches[matches.length - 1] + BigInt(this.pattern.bytes.length) : 0n;
      this.#advance(range, chunk.end === range.end ? range.end : last > chunk.share ? last : chunk.share);
    }
    this.#onProgress?.(this.done, this.total);
    return matches;
  }

  /** How many matches the next native call may return (never past the limit). */
  get maxMatches(): number {
    return Math.min(MATCHES_PER_CALL, this.#limit - this.found);
  }

  #advance(range: PendingRange, to: bigint): void {
    if (!range.recounted) this.done += to - range.start;
    range.start = to;
    if (to >= range.end) this.#ranges.shift();
  }
}

/**
 * Every match of `pattern` in readable memory (this process, or `options.pid`), in address order. Matches do not
 * overlap: after one, the search goes on after its last byte, as Frida's Memory.scan does. A window with nothing
 * readable in it returns `[]` (Frida's Memory.scanSync throws an access violation there).
 * Memory unmapped or protected while the scan runs is skipped, never a crash.
 * @param pattern - Frida's syntax: hex bytes, spaces optional (`'48 8b ?? 05'`), `??` any byte, `4?` or `?4` a
 * nibble, and an optional mask after a colon (`'13 37 : 1f f0'`); or a Uint8Array matched exactly; at most 64 KiB
 * @param options - the window, another process, progress and a limit
 * @returns the address of each match's first byte
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `pattern` is not a string or Uint8Array, or `options` or one of its fields has the wrong type
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `pattern` cannot be parsed (the message says at which character and why) or is empty
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `pattern` holds more than 64 KiB, a bound is out of range, `start` >
 * `end`, `limit` is not a non-negative integer, or `pid` not a positive 32-bit integer
 * @throws {@link SystemError} when another process cannot be read (`EPERM`, `ESRCH`)
 * @group Inspecting
 * @example
 * ```ts
 * import { addressOf, scanMemory } from 'memprobe';
 *
 * const code = Buffer.from([0x48, 0x8b, 0x05, 0x11, 0x22, 0x48, 0x8b, 0x0d, 0x33]);
 * const start = addressOf(code);
 * const window = { start, end: start + BigInt(code.length) };
 * console.log(scanMemory('48 8b ??', window).map((address) => address - start));  // [ 0n, 5n ]
 * ```
 */
export function scanMemory(pattern: string | Uint8Array, options?: ScanMemoryOptions): bigint[] {
  const plan = new ScanPlan(pattern, options);
  const { bytes, masks } = plan.pattern;
  const found: bigint[] = [];
  for (let chunk = plan.next(SYNC_CHUNK); chunk !== null; chunk = plan.next(SYNC_CHUNK)) {
    const result = binding.scanMemory(chunk.start, chunk.end, bytes, masks, plan.pid, plan.maxMatches);
    for (const match of plan.accept(chunk, result)) found.push(match);
  }
  return found;
}

async function* iterate(plan: ScanPlan): AsyncGenerator<bigint, void, undefined> {
  const { bytes, masks } = plan.pattern;
  for (let chunk = plan.next(ASYNC_CHUNK); chunk !== null; chunk = plan.next(ASYNC_CHUNK)) {
    const result = await binding.scanMemoryAsync(chunk.start, chunk.end, bytes, masks, plan.pid, plan.maxMatches);
    yield* plan.accept(chunk, result);
  }
}

/**
 * scanMemory as an async iterator: matches come as they are found, each chunk (4 MiB) searched on the libuv
 * threadpool, so the event loop is never blocked for long. The arguments are checked (and the readable ranges
 * listed) when it is called.
 * @param pattern - as for {@link scanMemory}
 * @param options - as for {@link scanMemory}
 * @returns an async generator of the matches' addresses, in address order
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`, `ERR_INVALID_ARG_VALUE`) as {@link scanMemory} throws them, when called
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) as {@link scanMemory} throws it, when called
 * @throws {@link SystemError} when another process cannot be read (from the call, or from the iteration)
 * @group Inspecting
 */
export function scanMemoryIter(pattern: string | Uint8Array, options?: ScanMemoryOptions): AsyncGenerator<bigint, void, undefined> {
  return iterate(new ScanPlan(pattern, options));
}
