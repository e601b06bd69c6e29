// Public types shared by several modules (the contract of API.md).

export type Address = bigint | number;
/** A raw address, or memory JavaScript already owns. */
export type Memory = Address | ArrayBufferView | ArrayBuffer | SharedArrayBuffer;

export type FaultCode = 'SEGV_MAPERR' | 'SEGV_ACCERR' | 'SEGV_PKUERR' | 'BUS_ADRERR' | 'BUS_OBJERR' | 'NONCANONICAL' | 'EFAULT';

export interface Fault {
  code: FaultCode;
  /** null when the syscall strategy found it */
  signal: 'SIGSEGV' | 'SIGBUS' | null;
  /** first byte that could not be accessed */
  address: bigint;
  access: 'read' | 'write';
}

/** Every byte was copied. */
export interface CopySucceeded {
  ok: true;
  bytesCopied: number;
  fault: null;
}

/** A fault stopped the copy: `bytesCopied` is the exact prefix copied; bytes after it in dst are untouched. */
export interface CopyFaulted {
  ok: false;
  bytesCopied: number;
  fault: Fault;
}

/** Discriminated on `ok`, so `if (!result.ok) result.fault.code` compiles under `strict`. */
export type CopyResult = CopySucceeded | CopyFaulted;

/** A copy's result with the copied prefix in `data`. */
export type ReadResult = CopyResult & { data: Buffer };

export type Strategy = 'signal' | 'syscall';

export interface CopyOptions {
  strategy?: Strategy;
}

export interface ReadOptions {
  strategy?: Strategy;
  /** read another process through process_vm_readv (implies the syscall strategy) */
  pid?: number;
}

export type Protection = 'none' | 'r' | 'rw' | 'rx' | 'rwx';

/** A value read from memory. */
export interface ValueRead<T> {
  ok: true;
  value: T;
  fault: null;
}

/** The read faulted: nothing was read. */
export interface ValueFaulted {
  ok: false;
  fault: Fault;
}

/** Discriminated on `ok`, like CopyResult: `if (!result.ok) result.fault.code` compiles under `strict`. */
export type ReadValue<T> = ValueRead<T> | ValueFaulted;
