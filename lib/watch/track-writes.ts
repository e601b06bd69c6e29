// trackWrites: which pages of a range were written, by the best mechanism the kernel offers
// (native/watch/write_tracking.h): PAGEMAP_SCAN over a userfaultfd write-protect-async range, or soft-dirty bits.
import { invalidArgType, invalidArgValue, invalidState, outOfRange, writeTrackingUnavailable } from '../common/errors';
import { binding, type NativeTrackingFailure, type WriteTrackerHandle } from '../common/native';
import { readMaps, toAddress, USER_END, type Range } from '../probe/probe';
import { checkKnownOptions } from '../common/validate';

/**
 * How {@link trackWrites} learns which pages were written, best first:
 * - `'pagemap-scan'` (Linux 6.7+): the range is registered with a userfaultfd in asynchronous write-protect mode
 *   (`UFFD_FEATURE_WP_ASYNC`); the first write to each page is resolved inside the kernel (no signal, nothing
 *   reaches user space) and `PAGEMAP_SCAN` lists the pages no longer write-protected in one page-table walk.
 *   Anonymous memory, shmem (tmpfs, memfd, `/dev/shm`), hugetlbfs and mappings of regular files, private or
 *   shared; not special mappings (`[vdso]`, `[vvar]`, device memory) nor `MAP_DROPPABLE` memory. A range may
 *   belong to one userfaultfd at a time (one tracker, or an access monitor): overlapping trackers are refused.
 * - `'soft-dirty'` (kernels built with `CONFIG_MEM_SOFT_DIRTY`): `/proc/self/clear_refs` clears the soft-dirty
 *   bit of every page of the WHOLE process, and `/proc/self/pagemap` bit 55 shows the pages written since.
 *   Any kind of memory; a write into a transparent huge page marks all of its pages. Each start and reset disturbs anyone else in the process using soft-dirty bits (CRIU's
 *   incremental dumps, another library); memprobe's own soft-dirty trackers keep each other's records.
 * - `'write-faults'` (everywhere; the last resort): the access monitor's mechanism ({@link monitorAccess}) limited
 *   to writes: each page loses its write permission, and its first write faults once; the guard's handler records
 *   the page and gives the permission back. Reads cost nothing. A fault costs about as much as the
 *   monitor's first touch (a few µs a page), and a reset protects the whole range again. The kernel does not
 *   fault on its own writes: a system call that writes into a page not yet written since the start or a reset
 *   (`read(2)` into it, `process_vm_writev` from another process) fails with `EFAULT` instead, as it would on any
 *   read-only page. A range monitored by {@link monitorAccess} cannot be tracked this way, nor the other way round.
 * @group Watching memory
 */
export type WriteTrackingMechanism = 'pagemap-scan' | 'soft-dirty' | 'write-faults';

/**
 * Options of {@link trackWrites}.
 * @group Watching memory
 */
export interface TrackWritesOptions {
  /** use this mechanism only (default: the best one that can track the range here) */
  mechanism?: WriteTrackingMechanism;
}

/**
 * Which pages of a range were written: made by {@link trackWrites}.
 * @group Watching memory
 */
export interface WriteTracker {
  /** the mechanism this tracker uses */
  readonly mechanism: WriteTrackingMechanism;
  /** the range tracked */
  readonly range: Range;
  /**
   * The pages of the range written since {@link trackWrites} or the last {@link WriteTracker.reset}, as merged
   * page-aligned ranges in address order (empty when none was).
   * @throws `Error` (`ERR_INVALID_STATE`) after {@link WriteTracker.stop}
   * @throws {@link SystemError} when the kernel refuses to tell (the range was unmapped meanwhile, say)
   */
  written(): Range[];
  /**
   * Starts over: no page counts as written until it is written again.
   * @throws `Error` (`ERR_INVALID_STATE`) after {@link WriteTracker.stop}
   * @throws {@link SystemError} when the kernel refuses
   */
  reset(): void;
  /** Undoes everything the tracker set up. Calling it again does nothing; other methods then throw `ERR_INVALID_STATE`. */
  stop(): void;
}

const PAGE = BigInt(binding.pageSize);
/** The kernel's mechanisms (native/watch/write_tracking.h), best first, then the access monitor's write faults. */
const MECHANISMS: readonly WriteTrackingMechanism[] = [...(binding.writeTrackingMechanisms as WriteTrackingMechanism[]), 'write-faults'];
const REPORT_WORDS = 7;  // native/watch/access_monitor.h AccessReport; the page is word 1

function fail(failure: NativeTrackingFailure, mechanism: string, what: string): Error {
  return failure.systemError !== undefined && failure.failure === 'system-call'
    ? failure.systemError
    : writeTrackingUnavailable(`${what} with '${mechanism}': ${failure.reason}`, failure.systemError);
}

function isFailure<T extends object>(value: T | NativeTrackingFailure): value is NativeTrackingFailure {
  return 'failure' in value;
}

class Tracker implements WriteTracker {
  readonly mechanism: WriteTrackingMechanism;
  readonly range: Range;
  #handle: WriteTrackerHandle | null;

  constructor(mechanism: WriteTrackingMechanism, range: Range, handle: WriteTrackerHandle) {
    this.mechanism = mechanism;
    this.range = range;
    this.#handle = handle;
  }

  #live(method: string): WriteTrackerHandle {
    if (this.#handle === null) throw invalidState(`WriteTracker.${method}() was called after stop()`);
    return this.#handle;
  }

  written(): Range[] {
    const pages = binding.writtenPages(this.#live('written'));
    if (isFailure(pages)) throw fail(pages, this.mechanism, 'trackWrites cannot tell which pages were written');
    const ranges: Range[] = [];
    for (let i = 0; i < pages.length; i += 2) ranges.push({ start: pages[i], end: pages[i + 1] });
    return ranges;
  }

  reset(): void {
    const failure = binding.resetWriteTracking(this.#live('reset'));
    if (failure !== undefined) throw fail(failure, this.mechanism, 'trackWrites cannot reset');
  }

  stop(): void {
    if (this.#handle === null) return;
    binding.stopWriteTracking(this.#handle);
    this.#handle = null;
  }
}

/**
 * The last resort: the access monitor (native/watch/access_monitor.h) in its writes-only mode. Pages the handler let
 * through are in its reports, taken both by the monitor's wake-up on the event loop and, synchronously, by written().
 */
class WriteFaultTracker implements WriteTracker {
  readonly mechanism = 'write-faults';
  readonly range: Range;
  #handle: object | null = null;
  readonly #pages = new Set<bigint>();

  constructor(range: Range) {
    this.range = range;
  }

  /** Starts the monitor over the range; what stopped it (another monitor holds a page, say), or undefined. */
  start(): NativeTrackingFailure | undefined {
    const range = this.range;
    const started = binding.startAccessMonitor(new BigUint64Array([range.start]), new BigUint64Array([range.end]), () => this.#take(), true);
    if ('error' in started) {
      const reason = started.error === 'overlaps' ? 'an access monitor already holds part of the range'
        : started.error === 'too-many' ? 'as many access monitors as can run at once are running' : 'part of the range is not mapped';
      return { failure: 'unavailable', reason };
    }
    this.#handle = started;
    binding.refAccessMonitor(started, false);  // a tracker does not keep the process alive
    return undefined;
  }

  #live(method: string): object {
    if (this.#handle === null) throw invalidState(`WriteTracker.${method}() was called after stop()`);
    return this.#handle;
  }

  /** Takes the reports the handler left (the monitor's wake-up, and written()). */
  #take(): void {
    if (this.#handle === null) return;
    const reports = binding.takeAccessReports(this.#handle);
    for (let at = 1; at < reports.length; at += REPORT_WORDS) this.#pages.add(reports[at]);
  }

  written(): Range[] {
    this.#live('written');
    this.#take();
    const ranges: Range[] = [];
    for (const page of [...this.#pages].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      const last = ranges[ranges.length - 1];
      if (last !== undefined && last.end === page) {
        last.end = page + PAGE;
      } else {
        ranges.push({ start: page, end: page + PAGE });
      }
    }
    return ranges;
  }

  reset(): void {
    binding.stopAccessMonitor(this.#live('reset'));
    this.#handle = null;
    this.#pages.clear();
    const failure = this.start();
    if (failure !== undefined) throw fail(failure, this.mechanism, 'trackWrites cannot reset');
  }

  stop(): void {
    if (this.#handle === null) return;
    binding.stopAccessMonitor(this.#handle);
    this.#handle = null;
  }
}

function checkRange(range: unknown): Range {
  if (range === null || typeof range !== 'object') throw invalidArgValue('range', 'an object with start and end', range);
  const { start: rawStart, end: rawEnd } = range as { start?: unknown; end?: unknown };
  const start = toAddress(rawStart, 'range.start');
  const end = toAddress(rawEnd, 'range.end');
  if (start % PAGE !== 0n) throw outOfRange('range.start', `a multiple of the page size (${PAGE})`, start);
  if (end % PAGE !== 0n) throw outOfRange('range.end', `a multiple of the page size (${PAGE})`, end);
  if (end <= start) throw outOfRange('range.end', `greater than range.start (0x${start.toString(16)})`, end);
  if (end > USER_END) throw outOfRange('range.end', `at most 0x${USER_END.toString(16)} (where user space ends)`, end);
  // Mapped in this process, all of it: the kernel would refuse a hole with a less helpful EINVAL, or track less.
  let covered = start;
  for (const entry of readMaps()) {
    if (entry.end <= covered) continue;
    if (entry.start > covered) break;
    covered = entry.end;
    if (covered >= end) break;
  }
  if (covered < end) {
    throw invalidArgValue('range', 'a range mapped in this process', range, `a range with nothing mapped at 0x${covered.toString(16)}`);
  }
  return { start, end };
}

/**
 * Starts tracking which pages of `range` are written, without a fault per page reaching user space where the
 * kernel offers that (see {@link WriteTrackingMechanism} for what each mechanism costs, sees and disturbs).
 * "Which pages did this call write?" is `reset()`, the call, `written()`.
 *
 * Every write is seen: JavaScript's, native code's on any thread, and the kernel's on the process's behalf
 * (`read(2)` into the range, say). Writes into shared memory through another process's mapping of it are not (they
 * go through that process's page tables). A page whose memory is freed meanwhile (`MADV_DONTNEED`) no longer
 * counts as written. Granularity is the page: a write of one byte marks its whole page.
 * @param range - page-aligned, non-empty, mapped in this process
 * @param options - force a mechanism (default: the best one that can track the range)
 * @returns the tracker; {@link WriteTracker.stop} it when done
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `range.start`/`range.end` is not a bigint or number, or
 *   `options.mechanism` not a string
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `range` is not an object or is not wholly mapped, an option is
 *   unknown, or `options.mechanism` names no mechanism
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when the range is not page-aligned, empty, or passes user space's end
 * @throws `Error` (`ERR_WRITE_TRACKING_UNAVAILABLE`) when no mechanism (or not the one asked for) can track this
 *   range here: the message says why for each one tried, `cause` holds the failed system call's {@link SystemError}
 * @throws {@link SystemError} when a system call fails for another reason
 * @group Watching memory
 * @example
 * ```ts
 * import { mapPages, pageSize, trackWrites, writeU8 } from 'memprobe';
 *
 * const pages = mapPages(8);
 * const tracker = trackWrites({ start: pages.address, end: pages.address + BigInt(pages.size) });
 * writeU8(pages.address + BigInt(3 * pageSize), 1);
 * console.log(tracker.mechanism, tracker.written());   // pagemap-scan [ { start: …3 pages in…, end: …4 pages in… } ]
 * tracker.reset();
 * console.log(tracker.written());                      // []
 * tracker.stop();
 * pages.unmap();
 * ```
 */
export function trackWrites(range: Range, options?: TrackWritesOptions): WriteTracker {
  checkKnownOptions(options, ['mechanism']);
  const asked = options?.mechanism;
  if (asked !== undefined && typeof asked !== 'string') throw invalidArgType('options.mechanism', 'of type string', asked);
  if (asked !== undefined && !MECHANISMS.includes(asked)) {
    throw invalidArgValue('options.mechanism', `one of ${MECHANISMS.map((name) => `'${name}'`).join(', ')}`, asked);
  }
  const { start, end } = checkRange(range);
  const failures: Array<[WriteTrackingMechanism, NativeTrackingFailure]> = [];
  for (const mechanism of asked === undefined ? MECHANISMS : [asked]) {
    if (mechanism === 'write-faults') {
      const tracker = new WriteFaultTracker({ start, end });
      const failure = tracker.start();
      if (failure === undefined) return tracker;
      failures.push([mechanism, failure]);
      continue;
    }
    const handle = binding.startWriteTracking(mechanism, start, end);
    if (!isFailure(handle)) return new Tracker(mechanism, { start, end }, handle);
    // A call that failed for no reason of capability or memory kind is not papered over by the next mechanism.
    if (handle.failure === 'system-call') throw fail(handle, mechanism, 'trackWrites cannot start');
    failures.push([mechanism, handle]);
  }
  const why = failures.map(([mechanism, failure]) => `'${mechanism}': ${failure.reason}`).join('; ');
  const range16 = `0x${start.toString(16)}-0x${end.toString(16)}`;
  throw writeTrackingUnavailable(`trackWrites cannot track ${range16} here (${why})`, failures[0][1].systemError);
}
