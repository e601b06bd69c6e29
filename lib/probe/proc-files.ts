// What a failed open of a /proc/<pid> file reports. The kernel makes the ptrace access check that a read of the
// process's memory makes before it opens the process's maps (and mem, map_files…), but refuses with EACCES where
// process_vm_readv says EPERM; a process that is gone has no /proc directory (ENOENT). Every { pid } function must
// report both as a read of the memory does (safeRead({ pid })'s SystemError: EPERM with the ptrace hint, or ESRCH),
// whichever it touched first, so the refusal is confirmed by one read and the open is kept as its `cause`.
import { constants } from 'node:os';

import { SystemError } from '../common/errors';
import { binding } from '../common/native';

/** `error` with `cause` set as Error's own constructor sets it (own, not enumerable). */
function withCause<E extends Error>(error: E, cause: unknown): E {
  Object.defineProperty(error, 'cause', { value: cause, writable: true, configurable: true, enumerable: false });
  return error;
}

/**
 * @internal The error to throw for a failed fs call on `file` (a /proc path) of process `pid` (undefined: this
 * process, /proc/self). A refusal (EACCES, EPERM) or a missing file (ENOENT) that a read of the process's memory
 * confirms is that read's SystemError, with the open as `cause`; anything else is a SystemError of the call itself.
 * Either SystemError of the open names `file` as its `path` and is described in the C library's words, as the
 * addon's are (Node's fs says 'permission denied' where strerror says 'Permission denied').
 */
export function procFileError(error: unknown, pid: number | undefined, file: string): unknown {
  const failure = error as NodeJS.ErrnoException;
  if (typeof failure?.code !== 'string' || typeof failure.errno !== 'number') return error;
  const { code } = failure;
  const opened = () => binding.systemError(failure.syscall ?? 'open', -failure.errno!, pid, file);
  if (pid !== undefined && (code === 'EACCES' || code === 'EPERM' || code === 'ENOENT')) {
    try {
      binding.checkProcessReadable(pid);
    } catch (refused) {
      return refused instanceof SystemError ? withCause(refused, opened()) : refused;
    }
  }
  // A process that is there, and readable, yet without the file: it has exited in between.
  if (code === 'ENOENT' && pid !== undefined) return withCause(binding.systemError('open', constants.errno.ESRCH, pid), opened());
  return opened();
}
