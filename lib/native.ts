// Loads the addon and declares its typed surface, so nothing above it sees `any`.
import * as path from 'node:path';

import { SystemError } from './errors';
import type { FaultCode, Protection } from './types';

/** dst/src as the addon takes them: a view (JavaScript-owned memory) or a raw address. */
export type NativeMemory = ArrayBufferView | bigint | number;

export interface NativeGuardStatus {
  installed: boolean;
  previous: { SIGSEGV: string; SIGBUS: string };
  reasserted: number;
}

/** A thread's signal state as /proc/<pid>/task/<tid>/status gives it: bit n-1 stands for signal n. */
export interface NativeThreadStatus {
  tid: number;
  name: string;
  pending: bigint;
  sharedPending: bigint;
  blocked: bigint;
  ignored: bigint;
  caught: bigint;
}

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

export interface Binding {
  setSystemErrorClass(errorClass: new (syscall: string, code: string, errno: number, description: string) => Error): void;

  /**
   * One copy function per selector = strategy (0 or selector.syscall) + dst kind * selector.dst + src kind
   * (kinds: selector.view or selector.address). Returns undefined when every byte was copied, else a copyStatus
   * value: a fault (details in faultState) or an argument refused before any memory was touched (the status
   * says which: its base + 0 for dst, + 1 for src).
   */
  readonly copiers: ReadonlyArray<(dst: NativeMemory, src: NativeMemory, length: number) => number | undefined>;
  /** A Promise of 0 or a fault status (details in `state`), or a status number for a bad argument; pid 0 is this process. */
  copyAsync(dst: NativeMemory, src: NativeMemory, length: number, selector: number, state: ArrayBuffer, pid: number): Promise<number> | number;
  /** process_vm_readv from process `pid` into `dst`. */
  readProcess(dst: ArrayBufferView, src: bigint | number, length: number, selector: number, pid: number): number | undefined;
  readonly selector: { syscall: number; dst: number; view: number; address: number };
  readonly copyStatus: { fault: number; wrongType: number; badAddress: number; wraps: number; tooShort: number };
  readonly faultState: ArrayBuffer;
  readonly faultKinds: readonly FaultCode[];
  readonly faultSlots: { bytesCopied: number; kind: number; signal: number; access: number; address: number; count: number };

  addressOf(view: ArrayBufferView): bigint;
  readonly pageSize: number;

  mapAnonymous(length: number, protection: number): bigint;
  mapFile(path: string, length: number, shared: boolean, writable: boolean): bigint;
  protect(address: bigint, length: number, protection: number): void;
  unmap(address: bigint, length: number): void;
  readonly protections: Record<Protection, number>;

  guardStatus(): NativeGuardStatus;
  /** Takes SIGSEGV/SIGBUS back where another handler displaced the guard; returns how many. */
  reassertGuard(): number;
  /** Test hook: a plain load outside the guard (a real crash on a bad address). */
  _touchUnguarded(address: bigint): number;

  /** ProbeCode of one address of this process (lib/probe.ts has checked it). */
  probe(address: bigint | number): number;
  /** Fills `codes` with a ProbeCode per address; pid 0 is this process. */
  probeMany(addresses: BigUint64Array, codes: Uint8Array, pid: number): void;
  /** probeMany on the threadpool; both arrays are kept alive until the promise settles. */
  probeManyAsync(addresses: BigUint64Array, codes: Uint8Array, pid: number): Promise<void>;
  /** Bytes from `address` (of at most `length`) readable before the first page that is not. */
  readablePrefix(address: bigint | number, length: number): number;
  /** Readable ranges in [start, end) (page-aligned) as [start0, end0, start1, end1, …]; pid 0 is this process. */
  scanReadable(start: bigint, end: bigint, pid: number): BigUint64Array;
  readonly probeCodes: { readable: 0; protected: 1; unmapped: 2; noncanonical: 3 };
  /** Test hook: madvise(MADV_GUARD_INSTALL) over whole pages of an anonymous private mapping. */
  _installGuardRegion(address: bigint, length: number): void;

  /**
   * One more watch of each signal by this environment; returns the dedicated thread's tid. `dispatch` (kept from
   * the environment's first call) receives batches as an Int32Array of `signalConstants.eventFields` fields per
   * signal: signo, si_code, pid, uid, value, hasValue.
   */
  watchSignals(signos: number[], dispatch: (events: Int32Array) => void): number;
  unwatchSignals(signos: number[]): void;
  /** Whether this environment's watch keeps its event loop alive. */
  referenceSignals(referenced: boolean): void;
  /** A watched signal whose disposition libuv changed (process listeners came or went): take it back. */
  reclaimSignal(signo: number): boolean;
  signalThreadId(): number;
  sendSignal(pid: number, signo: number, value: number | undefined): void;
  signalThread(tid: number, signo: number): void;
  /** how: 0 read, 1 block, 2 unblock; returns the calling thread's mask before. */
  changeSignalMask(how: 0 | 1 | 2, signals: bigint): bigint;
  /** pid 0: this process. */
  threadStatuses(pid: number): NativeThreadStatus[];
  maskingDemo(): NativeMaskingDemo;
  /** Test hook: signals that reached the forwarding handler instead of the dedicated thread, and lost ones. */
  _signalStats(): { forwarded: number; dropped: number };
  readonly signalConstants: { rtmin: number; rtmax: number; maskHelper: number; eventFields: number };
}

function load(): Binding {
  const root = path.join(__dirname, '..');
  const candidates = ['build/Release/memprobe.node', 'build/Debug/memprobe.node'].map((file) => path.join(root, file));
  const failures: string[] = [];
  for (const candidate of candidates) {
    try {
      return require(candidate) as Binding;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'MODULE_NOT_FOUND') throw error;
      failures.push(candidate);
    }
  }
  throw new Error(`memprobe: the native addon is not built (looked for ${failures.join(', ')}). Run \`npm install\` or \`npx node-gyp rebuild\`.`);
}

export const binding: Binding = load();
binding.setSystemErrorClass(SystemError);
