// The page access monitor: which pages of a range get touched, and how, first touch only (native/watch/: the
// handler's side, and why it can never lose a report or kill the process on a race with stop()).
import { invalidArgType, invalidArgValue, outOfRange } from '../common/errors';
import { binding } from '../common/native';
import type { Range } from '../probe/probe';

/**
 * One first access to a monitored page, as {@link monitorAccess} reports it.
 * @group Watching memory
 */
export interface Access {
  /** the address the access touched (the fault address the kernel reported) */
  address: bigint;
  /** the page it lies in */
  page: bigint;
  /** the index, in the ranges given to {@link monitorAccess}, of the range holding the page */
  range: number;
  /** what the access was, as the processor reported it (x86-64: the page-fault error code; arm64: ESR) */
  operation: 'read' | 'write' | 'execute';
  /** the instruction that made the access */
  pc: bigint;
  /** the kernel's id of the thread that made it (gettid: any thread, a worker's or the threadpool's included) */
  threadId: number;
  /** when, in nanoseconds of CLOCK_MONOTONIC (`process.hrtime.bigint()` reads the same clock) */
  time: bigint;
}

/**
 * What {@link monitorAccess} returns.
 * @group Watching memory
 */
export interface AccessMonitor {
  /**
   * Restores every page still monitored to its protection and delivers the accesses made before, which have not
   * reached `onAccess` yet, before it returns (called from `onAccess`, right after the reports already being
   * delivered, in order). Idempotent: later calls do nothing.
   */
  stop(): void;
  /**
   * Lets the running monitor keep the event loop alive (the default), so that no report is lost at exit.
   * @returns this monitor
   */
  ref(): this;
  /**
   * Lets the process exit while the monitor runs, like an unref'd timer: accesses not yet delivered when the
   * loop empties are then never reported.
   * @returns this monitor
   */
  unref(): this;
}

const OPERATIONS = ['read', 'write', 'execute'] as const;
const WORDS = 7;  // native/watch/access_monitor.h AccessReport

function checkRanges(ranges: unknown): { starts: BigUint64Array; ends: BigUint64Array } {
  if (!Array.isArray(ranges)) throw invalidArgType('ranges', 'an array of { start: bigint, end: bigint }', ranges);
  if (ranges.length === 0) throw invalidArgValue('ranges', 'a non-empty array', ranges);
  const page = BigInt(binding.pageSize);
  const starts = new BigUint64Array(ranges.length);
  const ends = new BigUint64Array(ranges.length);
  ranges.forEach((range: unknown, index) => {
    const name = `ranges[${index}]`;
    if (range === null || typeof range !== 'object') throw invalidArgType(name, 'of type object', range);
    const { start, end } = range as Partial<Range>;
    if (typeof start !== 'bigint') throw invalidArgType(`${name}.start`, 'of type bigint', start);
    if (typeof end !== 'bigint') throw invalidArgType(`${name}.end`, 'of type bigint', end);
    if (start < 0n || start % page !== 0n) throw outOfRange(`${name}.start`, `a multiple of the page size (${page}) in [0, 2^64)`, start);
    if (end <= start || end % page !== 0n || end > BigInt(binding.machine.userAddressEnd)) {
      throw outOfRange(`${name}.end`, `a multiple of the page size (${page}) above start and at most the end of user space`, end);
    }
    starts[index] = start;
    ends[index] = end;
  });
  // Overlaps, in address order.
  const order = [...starts.keys()].sort((a, b) => (starts[a] < starts[b] ? -1 : starts[a] > starts[b] ? 1 : 0));
  for (let i = 1; i < order.length; i++) {
    if (starts[order[i]] < ends[order[i - 1]]) {
      throw invalidArgValue(`ranges[${order[i]}]`, `a range that does not overlap ranges[${order[i - 1]}]`, ranges[order[i]]);
    }
  }
  return { starts, ends };
}

/**
 * Reports the first access to each page of `ranges`: the pages are made inaccessible (`PROT_NONE`), and the first
 * access to each, by any thread and any code (JavaScript, native code, the threadpool, a worker, memprobe's own
 * guarded copies), is caught by memprobe's fault handler, which restores the page's protection and lets the
 * access go on as if nothing happened. Like Frida's `MemoryAccessMonitor`: one report per page.
 *
 * - An access the page's own protection forbids (a write to a read-only page) is a real fault: it goes on as it
 *   would without the monitor (to other handlers, or the process ends), and is not reported.
 * - `onAccess` runs on this thread's event loop, in the order the accesses were caught, none lost; an exception it
 *   throws becomes an uncaught exception after the other reports of its batch were delivered.
 * - A running monitor keeps the event loop alive until {@link AccessMonitor.stop} (or {@link AccessMonitor.unref}).
 *   A worker's monitors stop (their pages restored) when the worker ends.
 * - Another process reading the pages makes no fault here and no report: `process_vm_readv` fails with `EFAULT`
 *   on a page not yet touched, while a read of `/proc/<pid>/mem` succeeds (the kernel forces it past
 *   `PROT_NONE`), and neither counts as a touch.
 * - Never monitor a thread's stack (the kernel could not deliver the fault) or memory a signal handler of yours
 *   touches. Each touched page is a separate mapping to the kernel while the monitor runs (vm.max_map_count).
 * @param ranges - page-aligned ranges of this process's mapped memory, not overlapping each other nor another
 * running monitor's
 * @param onAccess - called once per page first touched
 * @returns the monitor; stop it when done
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `ranges` is not an array of `{ start, end }` bigints or `onAccess` not a function
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `ranges` is empty, two ranges overlap, a page is not mapped, a page is already monitored, or 64 monitors are running
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when a start or end is not a multiple of the page size, or a range is empty or past the user address space
 * @throws {@link SystemError} when /proc/self/maps cannot be read or mprotect fails
 * @group Watching memory
 * @example
 * ```ts
 * import { mapPages, monitorAccess, pageSize, safeRead } from 'memprobe';
 *
 * const pages = mapPages(4);
 * const monitor = monitorAccess([{ start: pages.address, end: pages.address + BigInt(4 * pageSize) }], (access) => {
 *   console.log(access.operation, (access.page - pages.address) / BigInt(pageSize));  // read 2n
 * });
 * safeRead(pages.address + BigInt(2 * pageSize), 8);  // completes: the monitor lets it through
 * setImmediate(() => monitor.stop());
 * ```
 */
export function monitorAccess(ranges: readonly Range[], onAccess: (access: Access) => void): AccessMonitor {
  const { starts, ends } = checkRanges(ranges);
  if (typeof onAccess !== 'function') throw invalidArgType('onAccess', 'of type function', onAccess);
  let handle: object | null = null;
  // Reports waiting for onAccess, in order. A stop() from inside onAccess appends to it, and the delivery already
  // running goes on with them after the reports taken before, so the order holds.
  const queue: Access[] = [];
  let delivering = false;
  const deliver = (reports: BigUint64Array): void => {
    for (let at = 0; at < reports.length; at += WORDS) {
      queue.push({
        address: reports[at],
        page: reports[at + 1],
        range: Number(reports[at + 2]),
        operation: OPERATIONS[Number(reports[at + 3])],
        pc: reports[at + 4],
        threadId: Number(reports[at + 5]),
        time: reports[at + 6],
      });
    }
    if (delivering) return;
    delivering = true;
    let failure: { error: unknown } | null = null;
    try {
      for (let next = 0; next < queue.length; next++) {
        try {
          onAccess(queue[next]);
        } catch (error) {
          failure ??= { error };
        }
      }
    } finally {
      queue.length = 0;
      delivering = false;
    }
    if (failure !== null) throw failure.error;
  };
  const started = binding.startAccessMonitor(starts, ends, () => {
    if (handle !== null) deliver(binding.takeAccessReports(handle));
  });
  if ('error' in started) {
    const name = `ranges[${started.range}]`;
    const range = ranges[started.range];
    if (started.error === 'unmapped') throw invalidArgValue(name, 'a range of mapped pages', range);
    if (started.error === 'overlaps') throw invalidArgValue(name, 'a range no other running monitor holds', range);
    throw invalidArgValue('ranges', 'fewer running monitors (at most 64 at once)', ranges);
  }
  handle = started;
  const monitor: AccessMonitor = {
    stop(): void {
      if (handle === null) return;
      const last = handle;
      handle = null;
      deliver(binding.stopAccessMonitor(last));
    },
    ref() {
      if (handle !== null) binding.refAccessMonitor(handle, true);
      return monitor;
    },
    unref() {
      if (handle !== null) binding.refAccessMonitor(handle, false);
      return monitor;
    },
  };
  return monitor;
}
