#include "memory/copy.h"

#include <signal.h>

#include "memory/signal_copy.h"
#include "memory/stack_gap.h"
#include "memory/syscall_copy.h"

namespace memprobe {

bool CopyMemory(const CopyRequest& request, CopyFailure* failure) {
  const size_t length = request.length;
  if (length == 0 && request.pid == 0) return true;
  if (request.pid != 0) {
    // Nothing to copy still asks the kernel, so that a process this one may not access, or one that is gone,
    // is the same error for every length.
    if (length == 0) {
      const bool write = !request.dst.js_owned;
      const int error = CheckProcessAccess(request.pid, write);
      return error == 0 || Failed(failure, error, write ? "process_vm_writev" : "process_vm_readv");
    }
    // One side is ours (the library refuses any other pair): it decides the direction.
    if (request.dst.js_owned) {
      return ReadProcess(request.pid, reinterpret_cast<uint8_t*>(request.dst.address), request.src.address, length,
                         failure);
    }
    return WriteProcess(request.pid, request.dst.address, reinterpret_cast<const uint8_t*>(request.src.address),
                        length, failure);
  }

  // Stop before the first page that would grow the stack; a read there wins over a write at the same offset.
  size_t limit = length;
  Access limited_side = Access::kRead;
  if (!request.src.js_owned) limit = StackGapLimit(request.src.address, length);
  if (!request.dst.js_owned) {
    const size_t dst_limit = StackGapLimit(request.dst.address, length);
    if (dst_limit < limit) limit = dst_limit, limited_side = Access::kWrite;
  }

  auto* dst = reinterpret_cast<uint8_t*>(request.dst.address);
  const auto* src = reinterpret_cast<const uint8_t*>(request.src.address);
  const bool by_signal = request.strategy == Strategy::kSignal;
  if (limit > 0) {
    const bool copied =
        by_signal ? SignalCopy(dst, src, limit, failure)
                  : SyscallCopy(dst, src, limit, SyscallSides{request.dst.js_owned, request.src.js_owned}, failure);
    if (!copied) return false;
  }
  if (limit == length) return true;

  // The gap cut the destination: the source may not be readable at that offset either, and the read wins.
  if (limited_side == Access::kWrite && !request.src.js_owned) {
    uint8_t byte;
    CopyFailure read;
    const bool readable = by_signal ? SignalCopy(&byte, src + limit, 1, &read)
                                    : SyscallCopy(&byte, src + limit, 1, SyscallSides{true, false}, &read);
    if (!readable) {
      if (read.error == 0) read.bytes_copied = limit;
      *failure = read;
      return false;
    }
  }
  const uintptr_t base = limited_side == Access::kRead ? request.src.address : request.dst.address;
  return Faulted(failure, limit,
                 Fault{by_signal ? FaultKind::kSegvMaperr : FaultKind::kEfault, by_signal ? SIGSEGV : 0, limited_side,
                       base + limit});
}

}  // namespace memprobe
