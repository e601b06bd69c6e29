// Values of 1, 2, 4 or 8 bytes at an address of another process: one process_vm_readv into (or
// process_vm_writev from) eight bytes on the stack on the no-fault path, and the copy's own answer
// (memory/syscall_copy.h ReadProcess/WriteProcess) for everything else, so a value that straddles into a page
// the kernel refuses reports the same fault, address and prefix as safeMemcpy({ pid }) of those bytes, and a
// refused process the same errno and system call. Plain C++, no N-API.
//
// Owns: the value's bytes on their way (little-endian, as x86-64 holds them). Must never: allocate, or touch
// memory of this process other than its own stack (the kernel does the access, so nothing here can fault).
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "memory/fault.h"

namespace memprobe {

// Reads `width` (1, 2, 4 or 8) bytes at `address` of process `pid` as a little-endian value into `value`. True
// when it could; otherwise `failure` holds a fault (error 0, bytes_copied: the readable prefix) or the errno
// and system call that refused the read (EPERM, ESRCH). The caller guarantees address + width does not pass 2^64.
bool ReadRemoteValue(pid_t pid, uintptr_t address, unsigned width, uint64_t* value, CopyFailure* failure);

// Writes the low `width` bytes of `value` at `address` of process `pid`, little-endian, with process_vm_writev
// (which honours that process's page protections). True when all were written; otherwise `failure` as above.
bool WriteRemoteValue(pid_t pid, uintptr_t address, unsigned width, uint64_t value, CopyFailure* failure);

}  // namespace memprobe
