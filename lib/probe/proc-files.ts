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
      // Without process_vm_readv (ENOSYS: a kernel without cross-memory attach, qemu-user) nothing can be
      // confirmed by a read: the open's own answer stands (ENOENT as ESRCH, below).
      if (!(refused instanceof SystemError)) return refused;
      if (refused.code !== 'ENOSYS') return withCause(refused, opened());
    }
  }
  // No /proc directory for a process the read found there (it has exited in between), or could not ask about.
  if (code === 'ENOENT' && pid !== undefined) return withCause(binding.systemError('open', constants.errno.ESRCH, pid), opened());
  return opened();
}
