/// <reference types="node" preserve="true" />
// Public types shared by several modules (the contract of API.md).
// The reference above keeps the emitted types.d.ts self-sufficient: it uses Buffer, and TypeScript 7 loads no
// @types package by default (TypeScript keeps a reference in the declarations only with preserve="true").

/**
 * A raw address: a bigint from 0 to 2^64 - 1, or a non-negative safe-integer number (converted exactly; use a
 * bigint beyond 2^53).
 * @group Memory, pages and the guard
 */
export type Address = bigint | number;
/**
 * A raw address, or memory JavaScript already owns: a view (its `byteOffset` respected), an ArrayBuffer or a
 * SharedArrayBuffer.
 * @group Memory, pages and the guard
 */
export type Memory = Address | ArrayBufferView | ArrayBuffer | SharedArrayBuffer;

/**
 * Why an access faulted: `SEGV_MAPERR` nothing is mapped there; `SEGV_ACCERR` mapped, but its protection forbids
 * the access; `SEGV_PKUERR` blocked by a memory protection key; `BUS_ADRERR` no backing for the address (a file
 * mapping past the file's end); `BUS_OBJERR` the object behind the page failed; `NONCANONICAL` outside both
 * canonical halves of x86-64; `EFAULT` the syscall strategy, where the kernel refused the range without saying why.
 * @group Memory, pages and the guard
 */
export type FaultCode = 'SEGV_MAPERR' | 'SEGV_ACCERR' | 'SEGV_PKUERR' | 'BUS_ADRERR' | 'BUS_OBJERR' | 'NONCANONICAL' | 'EFAULT';

/**
 * A fault, returned as a value: what stopped an access, where, and which side.
 * @group Memory, pages and the guard
 */
export interface Fault {
  /** why the access faulted */
  code: FaultCode;
  /** null when the syscall strategy found it */
  signal: 'SIGSEGV' | 'SIGBUS' | null;
  /** first byte that could not be accessed (for NONCANONICAL, the first requested byte that is non-canonical) */
  address: bigint;
  /** the side that faulted: reading the source or writing the destination (the read wins when both would fault at the same offset) */
  access: 'read' | 'write';
}

/**
 * Every byte was copied.
 * @group Memory, pages and the guard
 */
export interface CopySucceeded {
  /** every byte was copied */
  ok: true;
  /** the length asked for */
  bytesCopied: number;
  /** no fault */
  fault: null;
}

/**
 * A fault stopped the copy: `bytesCopied` is the exact prefix copied; bytes after it in dst are untouched.
 * @group Memory, pages and the guard
 */
export interface CopyFaulted {
  /** a fault stopped the copy */
  ok: false;
  /** the exact prefix copied: the longest whose source bytes are readable and destination bytes writable */
  bytesCopied: number;
  /** what stopped the copy at byte `bytesCopied` */
  fault: Fault;
}

/**
 * Discriminated on `ok`, so `if (!result.ok) result.fault.code` compiles under `strict`.
 * @group Memory, pages and the guard
 */
export type CopyResult = CopySucceeded | CopyFaulted;

/**
 * A copy's result with the copied prefix in `data`.
 * @group Memory, pages and the guard
 */
export type ReadResult = CopyResult & {
  /** the bytes copied, in a new Buffer: all of them, or the `bytesCopied` before the fault */
  data: Buffer;
};

/**
 * How a copy is made: `'signal'` (the default) copies in this thread under the fault guard; `'syscall'` asks the
 * kernel to copy through process_vm_readv/process_vm_writev, and a fault is then `EFAULT`.
 * @group Memory, pages and the guard
 */
export type Strategy = 'signal' | 'syscall';

/**
 * Options of {@link safeMemcpy} and {@link safeMemcpyAsync}.
 * @group Memory, pages and the guard
 */
export interface CopyOptions {
  /** how the copy is made (default `'signal'`; only `'syscall'` or undefined with `pid`) */
  strategy?: Strategy;
  /**
   * copy to or from another process (implies the syscall strategy): exactly one of dst and src is an address, in
   * that process, and the other memory JavaScript owns. A write goes through process_vm_writev, which honours the
   * target's page protections: a read-only page is a write fault (`EFAULT`), as it would be for the process itself
   */
  pid?: number;
}

/**
 * Options of {@link safeRead} and {@link safeReadAsync}.
 * @group Memory, pages and the guard
 */
export interface ReadOptions {
  /** how the copy is made (default `'signal'`; only `'syscall'` or undefined with `pid`) */
  strategy?: Strategy;
  /** read another process through process_vm_readv (implies the syscall strategy) */
  pid?: number;
}

/**
 * A page protection: none, read, read-write, read-execute or read-write-execute.
 * @group Memory, pages and the guard
 */
export type Protection = 'none' | 'r' | 'rw' | 'rx' | 'rwx';

/**
 * A value read from memory.
 * @group Inspecting
 */
export interface ValueRead<T> {
  /** the value was read */
  ok: true;
  /** the value */
  value: T;
  /** no fault */
  fault: null;
}

/**
 * The read faulted: nothing was read.
 * @group Inspecting
 */
export interface ValueFaulted {
  /** the read faulted */
  ok: false;
  /** what a safeRead of the same bytes reports */
  fault: Fault;
}

/**
 * Discriminated on `ok`, like CopyResult: `if (!result.ok) result.fault.code` compiles under `strict`.
 * @group Inspecting
 */
export type ReadValue<T> = ValueRead<T> | ValueFaulted;
