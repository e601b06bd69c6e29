// Loads the addon and declares its typed surface, so nothing above it sees `any`.
import * as path from 'node:path';

import nodeGypBuild = require('node-gyp-build');

import { SystemError } from './errors';
import type { FaultCode, Protection } from './types';

/** @internal dst/src as the addon takes them: a view (JavaScript-owned memory) or a raw address. */
export type NativeMemory = ArrayBufferView | bigint | number;

/** @internal */
export interface NativeGuardStatus {
  installed: boolean;
  previous: { SIGSEGV: string; SIGBUS: string };
  reasserted: number;
}

/** @internal */
export interface NativeMachine {
  readonly pageSize: number;
  readonly userAddressEnd: bigint;
  readonly architecture: 'x64' | 'arm64';
  readonly nonCanonicalAddresses: boolean;
  readonly topByteIgnore: boolean;
  /** the guard can leave a handler without sigreturn on this processor (arch::kHasFastExit: x86-64) */
  readonly fastExit: boolean;
  /** a page mapped PROT_EXEC alone may fault a load here (x64: protection keys on; arm64: the kernel could not read one) */
  readonly executeOnlyPages: boolean;
}

/** @internal A native subscriber to the dedicated signal thread (an opaque external). */
export type SignalSubscriber = { readonly __memprobeSignalSubscriber: unique symbol };

/** @internal A thread's signal state as /proc/<pid>/task/<tid>/status gives it: bit n-1 stands for signal n. */
export interface NativeThreadStatus {
  tid: number;
  name: string;
  pending: bigint;
  sharedPending: bigint;
  blocked: bigint;
  ignored: bigint;
  caught: bigint;
}

/** @internal */
export interface NativeMaskingDemo {
  signo: number;
  demoThreads: Array<{ tid: number; name: string; blocks: boolean }>;
  /** every thread, just before the process-directed send */
  before: NativeThreadStatus[];
  processDirectedTo: number;
  blockedTarget: number;
  blockedTargetAfter: NativeThreadStatus;
  /** 0: nobody ran the handler */
  blockedTargetHandledBy: number;
  openTarget: number;
  openTargetHandledBy: number;
  openTargetAfter: NativeThreadStatus;
}

/** @internal A native write tracker (an opaque external). */
export type WriteTrackerHandle = { readonly __memprobeWriteTracker: unique symbol };

/** @internal Why native write tracking could not start or answer; lib/watch/track-writes.ts builds the error. */
export interface NativeTrackingFailure {
  failure: 'unavailable' | 'unsupported-memory' | 'system-call';
  reason: string;
  /** the failed system call's error, where one failed */
  systemError?: Error;
}

/** @internal The kinds of value the addon reads and writes; `<kind>be` is the big-endian variant. */
export type NumberKind = 'u8' | 'u16' | 'u32' | 'i8' | 'i16' | 'i32' | 'f32' | 'f64';
/** @internal */
export type BigIntKind = 'u64' | 'i64';

/** A value, undefined for a fault (details in faultState), or null for an address the addon refused. */
type NativeReader<T> = (address: bigint | number) => T | undefined | null;
/** undefined when written, 1 for a fault (details in faultState), or null for an address the addon refused. */
type NativeWriter<T> = (address: bigint | number, value: T) => 1 | undefined | null;
/** NativeReader in process `pid`, with one process_vm_readv; throws the copy's SystemError (EPERM, ESRCH). */
type NativeRemoteReader<T> = (address: bigint | number, pid: number) => T | undefined | null;
/** NativeWriter in process `pid`, with one process_vm_writev; throws the copy's SystemError (EPERM, ESRCH). */
type NativeRemoteWriter<T> = (address: bigint | number, value: T, pid: number) => 1 | undefined | null;

/** @internal */
export interface Binding {
  setSystemErrorClass(errorClass: new (syscall: string, code: string, errno: number, description: string, pid?: number, path?: string) => Error): void;
  /** The SystemError of a call JavaScript made (`errno` positive), described in the C library's words as the addon's own are. */
  systemError(syscall: string, errno: number, pid?: number, path?: string): Error;

  /**
   * One copy function per selector = strategy (0 or selector.syscall) + dst kind * selector.dst + src kind
   * (kinds: selector.view or selector.address). Returns undefined when every byte was copied, else a copyStatus
   * value: a fault (details in faultState) or an argument refused before any memory was touched (the status
   * says which: its base + 0 for dst, + 1 for src).
   */
  readonly copiers: ReadonlyArray<(dst: NativeMemory, src: NativeMemory, length: number) => number | undefined>;
  /** A Promise of 0 or a fault status (details in `state`), or a status number for a bad argument; pid 0 is this process. */
  copyAsync(dst: NativeMemory, src: NativeMemory, length: number, selector: number, state: ArrayBuffer, pid: number): Promise<number> | number;
  /** process_vm_readv from process `pid` into a view `dst`, or process_vm_writev from a view `src` into it (as the selector says). */
  copyProcess(dst: NativeMemory, src: NativeMemory, length: number, selector: number, pid: number): number | undefined;
  readonly selector: { syscall: number; dst: number; view: number; address: number };
  readonly copyStatus: { fault: number; wrongType: number; badAddress: number; wraps: number; tooShort: number };
  readonly faultState: ArrayBuffer;
  readonly faultKinds: readonly FaultCode[];
  readonly faultSlots: { bytesCopied: number; kind: number; signal: number; access: number; address: number; count: number };

  addressOf(view: ArrayBufferView): bigint;
  /** Test hook: an External (the kind of pointer object koffi 2.x hands out). */
  _makeExternal(): object;
  readonly pageSize: number;
  /**
   * The processor's facts lib/ must not hard-code: the page size (4, 16 or 64 KiB on arm64), where user space
   * ends (x64: 2^47; arm64: 2^48), whether addresses past it and below the kernel's half are non-canonical (x64)
   * and whether the top byte of an address is ignored (arm64: a tagged address names its untagged memory).
   */
  readonly machine: NativeMachine;

  mapAnonymous(length: number, protection: number): bigint;
  /** The mapping's address, or what the path names when it is not a regular file ('a FIFO', 'a directory'…). */
  mapFile(path: string, length: number, shared: boolean, writable: boolean): bigint | string;
  protect(address: bigint, length: number, protection: number): void;
  unmap(address: bigint, length: number): void;
  readonly protections: Record<Protection, number>;

  /**
   * Arms the pages of the ranges (checked by lib/watch/monitor.ts: page-aligned, not empty, not overlapping); `drain`
   * runs on this thread's loop when reports are ready. A handle, or which range is unmapped or already monitored.
   */
  startAccessMonitor(starts: BigUint64Array, ends: BigUint64Array, drain: () => void, writesOnly: boolean): object | { error: 'unmapped' | 'overlaps' | 'too-many'; range: number };
  /** The reports ready, in order: 7 words each (address, page, range, operation, pc, thread id, time). */
  takeAccessReports(handle: object): BigUint64Array;
  /** Restores the pages still armed and returns the reports not yet taken; idempotent. */
  stopAccessMonitor(handle: object): BigUint64Array;
  /** Whether the monitor's wake-up keeps the event loop alive. */
  refAccessMonitor(handle: object, ref: boolean): void;

  guardStatus(): NativeGuardStatus;
  /** Takes SIGSEGV/SIGBUS back where another handler displaced the guard; returns how many. */
  reassertGuard(): number;
  /** Test and benchmark hook: leave the handler without sigreturn where possible (the default) or never. */
  _setGuardFastExit(enabled: boolean): void;
  /**
   * Test hook: one guarded read of a PROT_NONE page, recovered, with the thread's controls (x64: mxcsr,
   * x87Control, pkru or null without protection keys; arm64: fpcr) set to distinctive values first.
   */
  _recoverOneFault(): {
    recovered: boolean;
    fastExitPossible: boolean;
    set: Record<string, number | null>;
    after: Record<string, number | null>;
  };
  /** Benchmark hook: `count` recovered guarded reads of a PROT_NONE page in a row, in C; returns how many faulted. */
  _recoverFaults(count: number): number;
  /**
   * Test hook: what the A64 load/store decoder (which the aarch64 chain falls back on without an esr_context
   * record) makes of one instruction word; built on every architecture.
   */
  _decodeAccess(word: number): 'read' | 'write' | 'execute' | 'unknown';
  /** Test hook: whether the chain calls V8's WebAssembly trap handler directly (as if the symbol were missing). */
  _useV8TrapHandler(use: boolean): void;
  /** Test hook: a plain load outside the guard (a real crash on a bad address). */
  _touchUnguarded(address: bigint): number;
  /** Test hook: a plain one-byte store outside the guard (a real crash, classified as a write, on a bad address). */
  _storeUnguarded(address: bigint, value: number): void;
  /** Test hook: how many once-per-turn ownership checks this environment ran. */
  _ownershipChecks(): number;

  /** ProbeCode of one address of this process (lib/probe/probe.ts has checked it). */
  probe(address: bigint | number): number;
  /** Fills `codes` with a ProbeCode per address; pid 0 is this process. */
  probeMany(addresses: BigUint64Array, codes: Uint8Array, pid: number): void;
  /** probeMany on the threadpool; both arrays are kept alive until the promise settles. */
  probeManyAsync(addresses: BigUint64Array, codes: Uint8Array, pid: number): Promise<void>;
  /** Bytes from `address` (of at most `length`) readable before the first page that is not. */
  readablePrefix(address: bigint | number, length: number): number;
  /** Readable ranges in [start, end) (page-aligned) as [start0, end0, start1, end1, …]; pid 0 is this process. */
  scanReadable(start: bigint, end: bigint, pid: number): BigUint64Array;
  /** Throws the SystemError ESRCH (process_vm_readv, as a read reports it) of a process that is gone or a zombie. */
  checkProcessAlive(pid: number): void;
  /** Throws the SystemError a read of the process's memory would: EPERM (process_vm_readv) where this one may not read it, ESRCH where it is gone. */
  checkProcessReadable(pid: number): void;
  /** _exit(status): for the command, once its output is written (native/binding/exit_binding.cc says why). */
  exitNow(status: number): never;
  /** [start, end, flags]* of this process's mappings over [start, end) right now (PROCMAP_QUERY), or null before Linux 6.11. */
  queryMappings(start: bigint, end: bigint): BigUint64Array | null;
  readonly probeCodes: { readable: 0; protected: 1; unmapped: 2; noncanonical: 3 };
  /** Test hook: madvise(MADV_GUARD_INSTALL) over whole pages of an anonymous private mapping. */
  _installGuardRegion(address: bigint, length: number): void;

  readonly readers: { readonly [K in NumberKind | `${NumberKind}be`]: NativeReader<number> } & {
    readonly [K in BigIntKind | `${BigIntKind}be`]: NativeReader<bigint>;
  };
  readonly writers: { readonly [K in NumberKind | `${NumberKind}be`]: NativeWriter<number> } & {
    readonly [K in BigIntKind | `${BigIntKind}be`]: NativeWriter<bigint>;
  };
  /** The readers for another process: faults and system-call failures exactly as copyProcess reports them. */
  readonly remoteReaders: { readonly [K in NumberKind | `${NumberKind}be`]: NativeRemoteReader<number> } & {
    readonly [K in BigIntKind | `${BigIntKind}be`]: NativeRemoteReader<bigint>;
  };
  /** The writers for another process: faults and system-call failures exactly as copyProcess reports them. */
  readonly remoteWriters: { readonly [K in NumberKind | `${NumberKind}be`]: NativeRemoteWriter<number> } & {
    readonly [K in BigIntKind | `${BigIntKind}be`]: NativeRemoteWriter<bigint>;
  };
  /**
   * A string (the byte count read in faultState's first slot), [partial] after a fault (details in faultState), or
   * null for an address refused. readCString and readUtf16 stop at a terminator or `limit` bytes or units.
   */
  readCString(address: bigint | number, limit: number): string | [string] | null;
  readUtf8(address: bigint | number, length: number): string | [string] | null;
  readUtf16(address: bigint | number, limit: number): string | [string] | null;
  /** The three reads in process `pid` (kind 0 readCString, 1 readUtf8, 2 readUtf16); throws a SystemError. */
  readProcessString(address: bigint | number, limit: number, pid: number, kind: number): string | [string] | null;
  /**
   * Non-overlapping matches wholly inside [start, end), at most maxMatches: [state, resume, match…] (state: one of
   * scanStates; resume: where the rest of the range starts, or the byte that could not be read). pid 0: this process.
   */
  scanMemory(start: bigint, end: bigint, bytes: Uint8Array, masks: Uint8Array, pid: number, maxMatches: number): BigUint64Array;
  /** scanMemory on the threadpool. */
  scanMemoryAsync(start: bigint, end: bigint, bytes: Uint8Array, masks: Uint8Array, pid: number, maxMatches: number): Promise<BigUint64Array>;
  readonly scanStates: { done: number; limited: number; faulted: number };
  /**
   * For tests and benchmarks: every later pattern search runs this routine ('sse2' on x86-64, 'neon' on aarch64,
   * 'avx2', or 'auto' for the machine's choice). False, and nothing changed, when the machine cannot run it.
   */
  _forcePatternRoutine(routine: 'sse2' | 'neon' | 'avx2' | 'auto'): boolean;
  /** The routine pattern searches run now. */
  _patternRoutine(): 'sse2' | 'neon' | 'avx2';

  /**
   * The subscriber of one copy of the JavaScript layer (each copy its own, so each receives what it watches).
   * `dispatch` receives batches as an Int32Array of `signalConstants.eventFields` fields per signal: signo,
   * si_code, pid, uid, value, hasValue, status, the low and high halves of sival_ptr, utime, stime (clock ticks).
   */
  createSignalSubscriber(dispatch: (events: Int32Array) => void): SignalSubscriber;
  /** One more watch of each signal by the subscriber; returns the dedicated thread's tid. */
  watchSignals(subscriber: SignalSubscriber, signos: number[]): number;
  unwatchSignals(subscriber: SignalSubscriber, signos: number[]): void;
  /** Whether the subscriber's watches keep the event loop alive. */
  referenceSignals(subscriber: SignalSubscriber, referenced: boolean): void;
  /** Whether the signals only this subscriber watches are read by its own event loop (one wake-up) instead of the dedicated thread. */
  setSignalDelivery(subscriber: SignalSubscriber, loop: boolean): void;
  /** What is pending for the process or already taken by the dedicated thread, handed over now (the same batch `dispatch` receives). */
  flushSignals(subscriber: SignalSubscriber): Int32Array | undefined;
  /** Right before the calling thread calls execve: no mask helper pending or sent to it, and its mask as it set it itself. */
  prepareExec(): void;
  /** execve was not called after all (it threw): undoes prepareExec. */
  cancelExec(): void;
  /** A watched signal whose disposition libuv changed (process listeners came or went): take it back. */
  reclaimSignal(signo: number): boolean;
  signalThreadId(): number;
  /** value: a number for sival_int, a bigint (0 to 2^64-1) for sival_ptr, undefined for kill */
  sendSignal(pid: number, signo: number, value: number | bigint | undefined): void;
  /** tgkill; tgid 0 or undefined: this process */
  signalThread(tid: number, signo: number, tgid?: number): void;
  /** how: 0 read, 1 block, 2 unblock; returns the calling thread's mask before. */
  changeSignalMask(how: 0 | 1 | 2, signals: bigint): bigint;
  /** pid 0: this process. */
  threadStatuses(pid: number): NativeThreadStatus[];
  maskingDemo(): NativeMaskingDemo;
  /**
   * Test hook: signals that reached the forwarding handler instead of the dedicated thread, lost ones, how many the
   * forwarding pipe holds, how many the dedicated thread read from its signalfd, and how many event loops read from their own.
   */
  _signalStats(): { forwarded: number; dropped: number; forwardCapacity: number; taken: number; loopRead: number };
  /** Every write-tracking mechanism this build has, best first. */
  readonly writeTrackingMechanisms: readonly string[];
  /** Starts tracking [start, end) (page-aligned, mapped) with the named mechanism. */
  startWriteTracking(mechanism: string, start: bigint, end: bigint): WriteTrackerHandle | NativeTrackingFailure;
  /** The written pages as [start0, end0, start1, end1, …], merged, in address order. */
  writtenPages(tracker: WriteTrackerHandle): BigUint64Array | NativeTrackingFailure;
  resetWriteTracking(tracker: WriteTrackerHandle): NativeTrackingFailure | undefined;
  /** Undoes the tracker's kernel state; once per tracker. */
  stopWriteTracking(tracker: WriteTrackerHandle): void;

  readonly signalConstants: {
    rtmin: number;
    rtmax: number;
    maskHelper: number;
    eventFields: number;
    /** sysconf(_SC_CLK_TCK): the unit of a SIGCHLD's utime and stime */
    clockTicks: number;
    /** why each signal that cannot be watched is refused (the addon refuses them too); SIGUSR1 is not among them */
    watchRefusals: Partial<Record<number, string>>;
    /** why each signal that a thread may not block through memprobe is refused */
    blockRefusals: Partial<Record<number, string>>;
  };
}

/**
 * The addon as node-gyp-build finds it: a local build (build/Release, build/Debug) first, so a checkout always runs
 * the code as written, then the prebuilt binary for this platform (prebuilds/linux-x64/, shipped in the package).
 */
function load(): Binding {
  const root = path.join(__dirname, '..', '..');  // the package: dist/common/ or lib/common/ up two
  let file: string;
  try {
    file = nodeGypBuild.resolve(root);
  } catch (error) {
    throw new Error(
      `memprobe: no native addon fits this machine (looked in ${path.join(root, 'build', 'Release')}, ` +
        `${path.join(root, 'build', 'Debug')} and ${path.join(root, 'prebuilds')}). ` +
        'Build it from source with `npm rebuild memprobe --build-from-source` (needs python3, make and g++, and memprobe\'s ' +
        'install script allowed: not denied by the project\'s "allowScripts", no --ignore-scripts).\n' +
        (error as Error).message,
    );
  }
  return require(file) as Binding;
}

/** @internal */
export const binding: Binding = load();
binding.setSystemErrorClass(SystemError);
