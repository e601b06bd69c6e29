// The syscall strategy: process_vm_readv / process_vm_writev, on this process or another one. The kernel
// checks every page, so nothing here can fault; a page it cannot reach ends the copy with EFAULT.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

#include "memory/fault.h"

namespace memprobe {

// Which sides JavaScript owns decides which call is made: process_vm_writev when only the source is ours.
struct SyscallSides {
  bool dst_owned;
  bool src_owned;
};

// Copies within this process like memmove. Same prefix as SignalCopy; faults are reported as EFAULT.
// Returns true when all of it was copied; otherwise fills `failure`.
__attribute__((noinline)) bool SyscallCopy(uint8_t* dst, const uint8_t* src, size_t length, SyscallSides sides, CopyFailure* failure);

// Reads `length` bytes at `remote` in process `pid` into `local` (memory of ours that is always writable).
// A refused range is a fault (EFAULT); EPERM, ESRCH and the like come back in CopyFailure::error. When `pid`
// names this process (or one of its threads), the gap below [stack] ends the read as it does a copy.
bool ReadProcess(pid_t pid, uint8_t* local, uintptr_t remote, size_t length, CopyFailure* failure);

// Writes `length` bytes of `local` (memory of ours, always readable) to `remote` in process `pid` with
// process_vm_writev, which honours the target's page protections: a page it may not write is a write fault
// (EFAULT) at its first byte. Other failures come back in CopyFailure::error, as for ReadProcess.
bool WriteProcess(pid_t pid, uintptr_t remote, const uint8_t* local, size_t length, CopyFailure* failure);

// 0 when this process may read (or, with `write`, write) process `pid`'s memory now, else the errno
// process_vm_readv/writev fails with: EPERM (the ptrace access check or a seccomp filter), ESRCH (gone). One
// transfer of a byte at address 0, never mapped, which the kernel refuses with EFAULT only once access is
// granted. For answers given without a transfer (nothing to copy, nothing listed), which would otherwise pass a
// process this one may not access, or one that is gone, for one that is there.
int CheckProcessAccess(pid_t pid, bool write);

// Reads [remote, remote + length) of `pid` with one process_vm_readv per IOV_MAX pages, one iovec per page: the
// kernel stops at the first page it cannot read, so the bytes before it arrive and the fault is at that page's
// first byte. For a reader that looks for a terminator in what arrives (strings), where ReadProcess would spend
// calls on finding the exact byte of a fault the terminator may make irrelevant.
bool ReadProcessPages(pid_t pid, uint8_t* local, uintptr_t remote, size_t length, CopyFailure* failure);

}  // namespace memprobe
