// safeMemcpy, safeRead and their async variants. A fault comes back as a value; misuse throws before the addon
// touches any memory. To keep the no-fault path close to a bare N-API call, the checks that need a view's
// length or an address's range are made natively (N-API reads them anyway) and come back as a status that is
// turned into the error here.
import { constants as bufferConstants } from 'node:buffer';
import { constants } from 'node:os';
import { types } from 'node:util';

import { invalidArgType, invalidArgValue, outOfRange } from '../common/errors';
import { binding, type NativeMemory } from '../common/native';
import type { Address, CopyFaulted, CopyOptions, CopyResult, Fault, Memory, ReadOptions, ReadResult } from '../common/types';
import { checkLength, checkKnownOptions, checkPid } from '../common/validate';

const SELECTOR = binding.selector;
// The common copies each get their own call site in copyNow: V8 calls a monomorphic API function directly, and
// mixing reads and writes, or strategies, at one site would slow every copy down by a quarter.
const READ = SELECTOR.view * SELECTOR.dst + SELECTOR.address;   // into JavaScript memory from an address
const WRITE = SELECTOR.address * SELECTOR.dst + SELECTOR.view;  // from JavaScript memory to an address
const COPIERS = binding.copiers;
const [signalRead, signalWrite] = [COPIERS[READ], COPIERS[WRITE]];
const STATUS = binding.copyStatus;
const SLOT = binding.faultSlots;
const FAULT_KINDS = binding.faultKinds;
const ADDRESS_MAX = 0xffff_ffff_ffff_ffffn;
const BUFFER_MAX = bufferConstants.MAX_LENGTH;
// glibc serves allocations this large (its largest mmap threshold) with fresh, zeroed pages.
const ZEROED_FROM = 32 * 1024 * 1024;
const MEMORY_TYPES = 'of type bigint or number (an address), an ArrayBufferView or an ArrayBuffer';

// Where the synchronous copy leaves a fault's details (one buffer per environment, written by the addon).
const faultSlots = new Float64Array(binding.faultState);
const faultAddresses = new BigUint64Array(binding.faultState);

/** The addon's kind of argument: anything that is not an address is tried as JavaScript-owned memory. */
function kindOf(memory: unknown): number {
  return typeof memory === 'bigint' || typeof memory === 'number' ? SELECTOR.address : SELECTOR.view;
}

/** Runs the synchronous copy for `selector`; undefined when every byte was copied, else a status. */
function copyNow(selector: number, dst: unknown, src: unknown, length: number): number | undefined {
  const d = dst as NativeMemory;
  const s = src as NativeMemory;
  if (selector === READ) return signalRead(d, s, length);
  if (selector === WRITE) return signalWrite(d, s, length);
  // The same expression twice, on purpose: two call sites, so the syscall strategy never shares one.
  if (selector < SELECTOR.syscall) return COPIERS[selector](d, s, length);  // view to view, address to address
  return COPIERS[selector](d, s, length);
}

const COPY_OPTIONS = ['strategy', 'pid'];

function strategySelector(options: CopyOptions | ReadOptions | undefined): number {
  if (options === undefined) return 0;
  checkKnownOptions(options, COPY_OPTIONS);
  const strategy = options.strategy;
  if (strategy === undefined || strategy === 'signal') return 0;
  if (strategy === 'syscall') return SELECTOR.syscall;
  throw invalidArgValue('options.strategy', "'signal' or 'syscall'", strategy);
}

/** The error a status for a refused argument stands for (statuses are a base + 0 for dst, + 1 for src). */
function argumentError(status: number, dst: unknown, src: unknown, length: number): Error {
  const name = status & 1 ? 'src' : 'dst';
  const value = status & 1 ? src : dst;
  switch (status & ~1) {
    case STATUS.wrongType:
      return invalidArgType(name, MEMORY_TYPES, value);
    case STATUS.badAddress:
      return typeof value === 'number'
        ? outOfRange(name, 'a non-negative safe integer address (use a bigint beyond 2^53)', value)
        : outOfRange(name, `an address from 0 to 0x${ADDRESS_MAX.toString(16)}`, value);
    case STATUS.wraps:
      return outOfRange('length', `such that "${name}" + "length" does not pass 2^64 (${name} is 0x${BigInt(value as Address).toString(16)})`, length);
    case STATUS.tooShort:
      return outOfRange('length', `at most the ${(value as ArrayBufferView).byteLength} bytes of "${name}"`, length);
    default:
      return new Error(`memprobe: unexpected copy status ${status}`);
  }
}

/** A SharedArrayBuffer travels as a Uint8Array over it (N-API reads plain ArrayBuffers only). */
function sharedAsView<M>(memory: M): M | Uint8Array {
  return types.isSharedArrayBuffer(memory) ? new Uint8Array(memory) : memory;
}

function faultFrom(slots: Float64Array, addresses: BigUint64Array): Fault {
  const signo = slots[SLOT.signal];
  return {
    code: FAULT_KINDS[slots[SLOT.kind]],
    signal: signo === 0 ? null : signo === constants.signals.SIGBUS ? 'SIGBUS' : 'SIGSEGV',
    address: addresses[SLOT.address],
    access: slots[SLOT.access] === 0 ? 'read' : 'write',
  };
}

function faultResult(slots: Float64Array, addresses: BigUint64Array): CopyFaulted {
  return { ok: false, bytesCopied: slots[SLOT.bytesCopied], fault: faultFrom(slots, addresses) };
}

/** @internal The fault a synchronous call of the addon just left in this environment's fault state. */
export function lastFault(): CopyFaulted {
  return faultResult(faultSlots, faultAddresses);
}

/** @internal The byte count a synchronous string read just left there (it writes it whether or not it faulted). */
export function lastByteCount(): number {
  return faultSlots[SLOT.bytesCopied];
}

/**
 * Copies `length` bytes from `src` to `dst` (like memmove) and returns what happened instead of crashing:
 * on a fault, `bytesCopied` is the exact prefix that was copied and dst bytes after it are untouched.
 * @param dst - where the bytes go: an address, or memory JavaScript owns
 * @param src - where the bytes come from: an address, or memory JavaScript owns
 * @param length - bytes to copy, a non-negative integer (0 copies nothing and succeeds)
 * With `options.pid`, one side is an address in that process and the other memory JavaScript owns: a read
 * through process_vm_readv, or a write through process_vm_writev, which honours that process's page protections
 * (a read-only page is a write fault, `EFAULT`, and nothing of it is written).
 * @param options - how the copy is made, and another process to copy to or from
 * @returns `{ ok: true }` when every byte was copied, else the exact prefix copied and the fault
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `dst` or `src` is not an address, view or buffer, or `options` is not an object
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options.strategy` is not `'signal'` or `'syscall'` (only
 * `'syscall'` with `options.pid`), `options` has a property other than `strategy` and `pid`, or `options.pid` is
 * given with two addresses or none
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `length` is not a non-negative safe integer or exceeds a view or
 * buffer given as `dst` or `src`, an address is negative, above 2^64 - 1 or an unsafe number, address + length
 * passes 2^64, or `options.pid` is not a positive 32-bit integer
 * @throws {@link SystemError} when process_vm_readv/writev fails for a reason other than a fault: `EPERM` (the
 * ptrace access check or a seccomp filter refused it) or `ESRCH` (no such process), with `pid` set
 * @group Memory, pages and the guard
 * @example
 * ```ts
 * import { mapPages, pageSize, safeMemcpy } from 'memprobe';
 *
 * const pages = mapPages(2);                        // two pages, the second made unreadable
 * pages.protect(pageSize, pageSize, 'none');
 * const dst = Buffer.alloc(16);
 * const r = safeMemcpy(dst, pages.address + BigInt(pageSize) - 8n, 16);
 * console.log(r.ok, r.bytesCopied, r.fault?.code);  // false 8 SEGV_ACCERR
 * pages.unmap();
 * ```
 */
export function safeMemcpy(dst: Memory, src: Memory, length: number, options?: CopyOptions): CopyResult {
  const strategy = strategySelector(options);
  checkLength(length);
  const pid = processOf(options, dst, src);
  const selector = strategy + kindOf(dst) * SELECTOR.dst + kindOf(src);
  const status = pid === 0 ? copyNow(selector, dst, src, length) : copyProcess(dst, src, length, pid);
  if (status === undefined) return { ok: true, bytesCopied: length, fault: null };
  if (status === STATUS.fault) return faultResult(faultSlots, faultAddresses);
  if ((status & ~1) === STATUS.wrongType && (types.isSharedArrayBuffer(dst) || types.isSharedArrayBuffer(src))) {
    return safeMemcpy(sharedAsView(dst), sharedAsView(src), length, options);
  }
  throw argumentError(status, dst, src, length);
}

/**
 * The process `options.pid` names (0: this one), checked: with a pid, the copy is a process_vm_readv or writev
 * between memory JavaScript owns and an address in that process, so exactly one side must be an address.
 */
function processOf(options: CopyOptions | undefined, dst: unknown, src: unknown): number {
  const pid = options?.pid;
  if (pid === undefined) return 0;
  checkPid(pid);
  if (options?.strategy === 'signal') throw invalidArgValue('options.strategy', "'syscall' or undefined when options.pid is given", 'signal');
  if (kindOf(dst) === kindOf(src)) {
    throw invalidArgValue('options.pid', 'given only when exactly one of dst and src is an address (in that process) and the other memory JavaScript owns', pid,
      kindOf(dst) === SELECTOR.address ? `${pid} with two addresses` : `${pid} with no address`);
  }
  return pid;
}

/**
 * @internal process_vm_readv or writev between memory JavaScript owns and an address in process `pid` (the side
 * that is an address is that process's): undefined when every byte was copied, else a status as copyNow returns.
 */
export function copyProcess(dst: unknown, src: unknown, length: number, pid: number): number | undefined {
  const selector = SELECTOR.syscall + kindOf(dst) * SELECTOR.dst + kindOf(src);
  return binding.copyProcess(sharedAsView(dst) as NativeMemory, sharedAsView(src) as NativeMemory, length, selector, pid);
}

interface ReadPlan {
  selector: number;
  pid: number;    // 0: this process
}

function planRead(src: Address, length: number, options: ReadOptions | undefined): ReadPlan {
  const strategy = strategySelector(options);
  checkLength(length);
  if (length > BUFFER_MAX) throw outOfRange('length', `at most buffer.constants.MAX_LENGTH (${BUFFER_MAX}), the largest Buffer`, length);
  if (typeof src !== 'bigint' && typeof src !== 'number') throw invalidArgType('src', 'of type bigint or number (an address)', src);
  const pid = options?.pid;
  if (pid === undefined) return { selector: strategy + SELECTOR.view * SELECTOR.dst + kindOf(src), pid: 0 };
  checkPid(pid);
  if (options?.strategy === 'signal') throw invalidArgValue('options.strategy', "'syscall' or undefined when options.pid is given", 'signal');
  return { selector: SELECTOR.syscall + SELECTOR.view * SELECTOR.dst + kindOf(src), pid };
}

/**
 * The Buffer a read fills. From ZEROED_FROM bytes up a zeroed Buffer is fresh pages from the kernel, as cheap
 * as an uninitialised one and never touched until written; below, an uninitialised one (perhaps from Node's
 * pool) saves a memset on the no-fault path, and a fault zeroes its unwritten tail.
 */
function readBuffer(length: number): Buffer {
  return length >= ZEROED_FROM ? Buffer.alloc(length) : Buffer.allocUnsafe(length);
}

/** The copied prefix in `data`; bytes that were never written are zero, so no stale memory leaks out. */
function readResult(copy: CopyResult, buffer: Buffer): ReadResult {
  if (copy.ok) return { ...copy, data: buffer };
  if (buffer.length < ZEROED_FROM) buffer.fill(0, copy.bytesCopied);
  return { ...copy, data: buffer.subarray(0, copy.bytesCopied) };
}

/**
 * Reads `length` bytes at `src` (in this process, or in `options.pid` through process_vm_readv).
 * @param src - the address to read from
 * @param length - bytes to read, a non-negative integer up to `buffer.constants.MAX_LENGTH`
 * @param options - how the copy is made, and which process is read
 * @returns the copy's result, with the bytes copied in a new Buffer `data` (the prefix before the fault, if any)
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `src` is not a bigint or number, `options` is not an object or `options.pid` not a number
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when `options.strategy` is unknown, or `'signal'` with `options.pid`,
 * or `options` has a property other than `strategy` and `pid`
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`) when `length` is not a non-negative safe integer or passes
 * `buffer.constants.MAX_LENGTH`, `src` is negative, above 2^64 - 1 or an unsafe number, src + length passes 2^64,
 * or `options.pid` is not a positive 32-bit integer
 * @throws {@link SystemError} when process_vm_readv fails for a reason other than a fault: `EPERM` (the ptrace
 * access check or a seccomp filter refused it) or `ESRCH` (no such process), with `pid` set
 * @group Memory, pages and the guard
 * @example
 * ```ts
 * import { addressOf, safeRead } from 'memprobe';
 *
 * const b = Buffer.from('memprobe');
 * console.log(safeRead(addressOf(b), b.length).data.toString());  // memprobe
 * const r = safeRead(0n, 8);
 * if (!r.ok) console.log(r.bytesCopied, r.fault.code);            // 0 SEGV_MAPERR
 * ```
 */
export function safeRead(src: Address, length: number, options?: ReadOptions): ReadResult {
  const plan = planRead(src, length, options);
  const buffer = readBuffer(length);
  const status = plan.pid === 0
    ? copyNow(plan.selector, buffer, src, length)
    : copyProcess(buffer, src, length, plan.pid);
  if (status === undefined) return { ok: true, bytesCopied: length, fault: null, data: buffer };
  if (status !== STATUS.fault) throw argumentError(status, buffer, src, length);
  return readResult(faultResult(faultSlots, faultAddresses), buffer);
}

/** Runs the copy on the libuv threadpool; memory JavaScript owns stays alive until the promise settles. */
async function copyOnPool(selector: number, dst: unknown, src: unknown, length: number, pid: number): Promise<CopyResult> {
  const state = new ArrayBuffer(SLOT.count * 8);
  const pending = binding.copyAsync(sharedAsView(dst) as NativeMemory, sharedAsView(src) as NativeMemory, length, selector, state, pid);
  if (typeof pending === 'number') throw argumentError(pending, dst, src, length);
  const status = await pending;
  if (status === 0) return { ok: true, bytesCopied: length, fault: null };
  return faultResult(new Float64Array(state), new BigUint64Array(state));
}

/**
 * safeMemcpy on the libuv threadpool. Bad arguments reject the promise.
 * Memory JavaScript owns is kept alive until the promise settles; detaching it meanwhile is the caller's error.
 * @param dst - where the bytes go: an address, or memory JavaScript owns
 * @param src - where the bytes come from: an address, or memory JavaScript owns
 * @param length - bytes to copy, a non-negative integer
 * @param options - how the copy is made
 * @returns a promise of the same result {@link safeMemcpy} returns
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`, `ERR_INVALID_ARG_VALUE`): the promise rejects with them as {@link safeMemcpy} throws them
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`): the promise rejects with it as {@link safeMemcpy} throws it
 * @throws {@link SystemError}: the promise rejects with it as {@link safeMemcpy} throws it
 * @group Memory, pages and the guard
 */
export async function safeMemcpyAsync(dst: Memory, src: Memory, length: number, options?: CopyOptions): Promise<CopyResult> {
  const strategy = strategySelector(options);
  checkLength(length);
  const pid = processOf(options, dst, src);
  return copyOnPool((pid === 0 ? strategy : SELECTOR.syscall) + kindOf(dst) * SELECTOR.dst + kindOf(src), dst, src, length, pid);
}

/**
 * safeRead on the libuv threadpool. Bad arguments reject the promise.
 * @param src - the address to read from
 * @param length - bytes to read, a non-negative integer up to `buffer.constants.MAX_LENGTH`
 * @param options - how the copy is made, and which process is read
 * @returns a promise of the same result {@link safeRead} returns
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`, `ERR_INVALID_ARG_VALUE`): the promise rejects with them as {@link safeRead} throws them
 * @throws `RangeError` (`ERR_OUT_OF_RANGE`): the promise rejects with it as {@link safeRead} throws it
 * @throws {@link SystemError}: the promise rejects with it as {@link safeRead} throws it: EPERM, ESRCH for another process
 * @group Memory, pages and the guard
 */
export async function safeReadAsync(src: Address, length: number, options?: ReadOptions): Promise<ReadResult> {
  const plan = planRead(src, length, options);
  const buffer = readBuffer(length);
  return readResult(await copyOnPool(plan.selector, buffer, src, length, plan.pid), buffer);
}

// Taken from the prototypes once, so that nothing a program redefines on its own views changes the checks.
const typedArrayAt = Object.getPrototypeOf(Uint8Array.prototype).at as (this: ArrayBufferView, index: number) => unknown;
const dataViewByteLength = Object.getOwnPropertyDescriptor(DataView.prototype, 'byteLength')!.get!;
const arrayBufferDetached = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'detached')?.get;

function isDetached(buffer: ArrayBuffer | SharedArrayBuffer): boolean {
  if (types.isSharedArrayBuffer(buffer)) return false;
  if (arrayBufferDetached) return arrayBufferDetached.call(buffer) as boolean;
  try {
    new Uint8Array(buffer, 0, 0);  // Node 20 has no ArrayBuffer.prototype.detached; this throws only when detached
    return false;
  } catch {
    return true;
  }
}

/** Whether every byte the view claims is there: false over a detached buffer, or out of a shrunk buffer's bounds. */
function viewInBounds(view: ArrayBufferView): boolean {
  try {
    // Both throw a TypeError for a detached or out-of-bounds view, and only then.
    if (types.isDataView(view)) dataViewByteLength.call(view);
    else typedArrayAt.call(view, 0);
    return true;
  } catch {
    return false;
  }
}

function describeView(view: ArrayBufferView): string {
  const name = view.constructor?.name;
  return name ? `an instance of ${name}` : 'a view';
}

/**
 * The size of a memory page in bytes (4096 on x86-64 Linux), as the kernel reports it.
 * @group Memory, pages and the guard
 */
export const pageSize: number = binding.pageSize;

/**
 * Address of the first byte JavaScript sees in `memory` (its byteOffset included). A detached buffer, or a view
 * over one, or a view out of the bounds of a resizable buffer that shrank, has no such byte: TypeError.
 * The address does not keep the memory alive: once the buffer is garbage-collected the address dangles, so keep a
 * reference to the buffer for as long as the address is used.
 * @param memory - a view (Buffer, typed array, DataView), an ArrayBuffer or a SharedArrayBuffer
 * @returns the address of the first byte of `memory` that JavaScript sees
 * @throws `TypeError` (`ERR_INVALID_ARG_TYPE`) when `memory` is not a view or a buffer
 * @throws `TypeError` (`ERR_INVALID_ARG_VALUE`) when the buffer is detached, or the view lies out of the bounds of its shrunk resizable buffer
 * @group Memory, pages and the guard
 */
export function addressOf(memory: ArrayBufferView | ArrayBuffer | SharedArrayBuffer): bigint {
  if (ArrayBuffer.isView(memory)) {
    if (viewInBounds(memory)) return binding.addressOf(memory);
    const kind = describeView(memory);
    if (isDetached(memory.buffer)) {
      throw invalidArgValue('memory', 'a view over a buffer that is not detached', memory, `${kind} over a detached ArrayBuffer`);
    }
    throw invalidArgValue('memory', 'a view within the bounds of its buffer', memory,
      `${kind} out of the bounds of its resizable ArrayBuffer (now ${memory.buffer.byteLength} bytes)`);
  }
  if (types.isAnyArrayBuffer(memory)) {
    if (isDetached(memory)) throw invalidArgValue('memory', 'an ArrayBuffer that is not detached', memory, 'a detached ArrayBuffer');
    return binding.addressOf(new Uint8Array(memory));
  }
  throw invalidArgType('memory', 'an ArrayBufferView or an ArrayBuffer', memory);
}
