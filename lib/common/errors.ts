// Errors thrown by memprobe: Node-style argument errors with a `code`, one message shape, and one class for
// failed system calls (created by the addon too, which receives the class at load time).
import { inspect, types } from 'node:util';

type ErrorCode =
  | 'ERR_INVALID_ARG_TYPE'
  | 'ERR_INVALID_ARG_VALUE'
  | 'ERR_OUT_OF_RANGE'
  | 'ERR_INVALID_STATE'
  | 'ERR_CRASH_REPORTS_UNAVAILABLE'
  | 'ERR_WRITE_TRACKING_UNAVAILABLE'
  | 'ABORT_ERR';

function withCode<E extends Error>(error: E, code: ErrorCode): E & { code: ErrorCode } {
  Object.defineProperty(error, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  return error as E & { code: ErrorCode };
}

/** How a received value is shown in a type error: its type, and the value where it is short. */
function describeType(value: unknown): string {
  if (value === null) return 'null';
  // FFI libraries hand out pointers as External objects (koffi 2.x): say how to get the address.
  if (types.isExternal(value)) {
    return 'an External (a native pointer object; for its address as a bigint use koffi.address(pointer) with koffi 2.x, koffi 3.x gives pointers as bigints already)';
  }
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    return name ? `an instance of ${name}` : inspect(value, { depth: -1 });
  }
  const shown = inspect(value, { colors: false });
  return `type ${typeof value} (${shown.length > 28 ? shown.slice(0, 25) + '...' : shown})`;
}

/** How a received value is shown in a range error: the value itself. */
function describeValue(value: unknown): string {
  return typeof value === 'bigint' ? `${value}n` : inspect(value, { colors: false, depth: 0 });
}

/** `The "name" argument must be <expected>. Received <value>` */
function message(name: string, expected: string, received: string): string {
  return `The "${name}" argument must be ${expected}. Received ${received}`;
}

/** @internal */
export function invalidArgType(name: string, expected: string, value: unknown): TypeError {
  return withCode(new TypeError(message(name, expected, describeType(value))), 'ERR_INVALID_ARG_TYPE');
}

/** @internal `received` replaces the usual description where the value itself must be shown (a path, say). */
export function invalidArgValue(name: string, expected: string, value: unknown, received = describeType(value)): TypeError {
  return withCode(new TypeError(message(name, expected, received)), 'ERR_INVALID_ARG_VALUE');
}

/** @internal */
export function outOfRange(name: string, expected: string, value: unknown): RangeError {
  return withCode(new RangeError(message(name, expected, describeValue(value))), 'ERR_OUT_OF_RANGE');
}

/** @internal What Node's promise APIs reject with when their AbortSignal fires (timers/promises, events.once…). */
export function abortError(reason: unknown): Error {
  const error = new Error('The operation was aborted', { cause: reason });
  error.name = 'AbortError';
  return withCode(error, 'ABORT_ERR');
}

/** @internal enableCrashReports() cannot work here: segfault-handler is missing, failed to build or load, or this is a worker. */
export function crashReportsUnavailable(reason: string, cause?: unknown): Error {
  return withCode(new Error(`memprobe: crash reports are unavailable: ${reason}`, cause === undefined ? undefined : { cause }), 'ERR_CRASH_REPORTS_UNAVAILABLE');
}

/** @internal A method called on something that no longer allows it (a stopped write tracker), as Node's ERR_INVALID_STATE. */
export function invalidState(what: string): Error {
  return withCode(new Error(`Invalid state: ${what}`), 'ERR_INVALID_STATE');
}

/** @internal trackWrites() has no mechanism that can track this range here; `cause`: the system call's error, if one failed. */
export function writeTrackingUnavailable(reason: string, cause?: unknown): Error {
  return withCode(new Error(`memprobe: ${reason}`, cause === undefined ? undefined : { cause }), 'ERR_WRITE_TRACKING_UNAVAILABLE');
}

/** Why a call (`syscall`: process_vm_readv/writev, or a signal's kill/sigqueue/tgkill) aimed at `pid` was refused, as far as the errno tells. */
function processAccessHint(syscall: string, code: string, pid: number): string {
  const signalling = syscall === 'kill' || syscall === 'sigqueue' || syscall === 'tgkill';
  const access = syscall === 'process_vm_writev' ? 'write' : 'read';
  if (code === 'ESRCH' && signalling) return syscall === 'tgkill' ? 'That process has no thread with this id.' : 'No process has this id.';
  if (code === 'ESRCH') return `No process or thread has this id, or it has exited and is not yet reaped (a zombie, with no memory left to ${access}).`;
  if (code === 'EPERM' && signalling) return "This process may not signal that one (another user's process needs CAP_KILL).";
  if (code !== 'EPERM') return '';
  if (pid === process.pid) {
    return `A process may always ${access} its own memory, so a seccomp filter refuses this system call here (common in containers); the signal strategy makes no system call.`;
  }
  return `This process may not ${access} that one: the kernel's ptrace access check refused it (a process of another user, one with capabilities this one lacks, or a non-dumpable one needs CAP_SYS_PTRACE; /proc/sys/kernel/yama/ptrace_scope 1 allows only descendants, 2 only CAP_SYS_PTRACE, 3 nobody), or a seccomp filter refuses the system call (common in containers).`;
}

/**
 * A system call failed for a reason other than a fault: `code` is the errno name (EPERM, ENOMEM…). For
 * process_vm_readv/writev, `pid` is the process it was aimed at and the message names the likely cause.
 *
 * The one class memprobe throws (or rejects with) for failed system calls: process_vm_readv/writev refused
 * (`EPERM`: the ptrace access check or a seccomp filter; `ESRCH`: no such process), mmap, mprotect, munmap and the
 * open of {@link mapFile}, kill/sigqueue/tgkill, sigaction and pthread_sigmask, and reading another process's
 * /proc files (`ESRCH` when it is gone). A fault is never a SystemError: it is a returned value.
 *
 * Every function that takes `{ pid }` reports a process it may not read (`EPERM`) or one that is gone (`ESRCH`)
 * with the same error, the one a read of its memory gives (`syscall` 'process_vm_readv'), whatever it touched
 * first: where that was the open of the process's maps (which the kernel refuses with `EACCES`), the open is the
 * error's `cause`, a SystemError with `syscall` 'open' and the file as `path`.
 *
 * Argument errors are Node's: a `TypeError` with `code` `ERR_INVALID_ARG_TYPE` (a wrong type) or
 * `ERR_INVALID_ARG_VALUE` (a value of the right type that is refused), a `RangeError` with `ERR_OUT_OF_RANGE`,
 * each thrown before any memory is touched (an async function rejects with it); {@link waitForSignal} rejects
 * with an `AbortError` (`ABORT_ERR`), and {@link enableCrashReports} throws an `Error` with
 * `ERR_CRASH_REPORTS_UNAVAILABLE`.
 * @group Errors
 * @example
 * ```ts
 * import { safeRead, SystemError } from 'memprobe';
 *
 * try {
 *   safeRead(0x1000n, 8, { pid: 0x7fffffff });   // above Linux's largest pid: no such process
 * } catch (error) {
 *   if (!(error instanceof SystemError)) throw error;
 *   console.log(error.syscall, error.code, error.pid);   // process_vm_readv ESRCH 2147483647
 * }
 * ```
 * @hideconstructor
 */
export class SystemError extends Error {
  /** the errno name: 'EPERM', 'ESRCH', 'ENOMEM', … */
  readonly code: string;
  /** the errno value (a positive number) */
  readonly errno: number;
  /** the system call that failed: 'process_vm_readv', 'mmap', 'kill', … */
  readonly syscall: string;
  /** for process_vm_readv/writev: the process the call was aimed at (and for the open of one of its /proc files) */
  readonly pid?: number;
  /** for an open of a /proc file (the `cause` of a refusal, see above): the file */
  declare readonly path?: string;

  constructor(syscall: string, code: string, errno: number, description: string, pid?: number, path?: string) {
    const target = pid === undefined ? '' : ` for pid ${pid}${pid === process.pid ? ' (this process)' : ''}`;
    const hint = pid === undefined ? '' : processAccessHint(syscall, code, pid);
    const call = path === undefined ? syscall : `${syscall} '${path}'`;
    super(`${call} failed${target}: ${code} (${description})${hint ? `. ${hint}` : ''}`);
    this.name = 'SystemError';
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
    if (pid !== undefined) this.pid = pid;
    if (path !== undefined) this.path = path;
  }
}
