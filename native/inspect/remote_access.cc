#include "inspect/remote_access.h"

#include "memory/syscall_copy.h"

namespace memprobe {

// The value is moved through a uint64_t on the stack: 8-aligned, so it never spans two pages, and the copy's
// per-page bookkeeping sees a single piece on our side. ReadProcess's no-fault path is one process_vm_readv
// (after two comparisons against the gap below our own [stack]); only a short or refused call costs more.

bool ReadRemoteValue(pid_t pid, uintptr_t address, unsigned width, uint64_t* value, CopyFailure* failure) {
  uint64_t bytes = 0;
  if (!ReadProcess(pid, reinterpret_cast<uint8_t*>(&bytes), address, width, failure)) return false;
  *value = bytes;  // little-endian: the low `width` bytes are the value, the rest stay zero
  return true;
}

bool WriteRemoteValue(pid_t pid, uintptr_t address, unsigned width, uint64_t value, CopyFailure* failure) {
  return WriteProcess(pid, address, reinterpret_cast<const uint8_t*>(&value), width, failure);
}

}  // namespace memprobe
