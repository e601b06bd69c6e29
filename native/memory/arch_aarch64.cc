// The aarch64 parts of the architecture layer that are not inline: telling a write from a read by decoding the
// faulting instruction, where the signal frame has no esr_context record (qemu-user), and whether execute-only
// pages are unreadable here. Built only for target_arch arm64 (binding.gyp).
//
// DecodedAccess runs inside a signal handler: async-signal-safe only (one guarded load, then arithmetic).
// ExecuteOnlyMayBeUnreadable maps a page and makes system calls: never from a handler.
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/machine.h"
#include "memory/a64_access_decoder.h"
#include "memory/arch.h"
#include "memory/guarded_access.h"

namespace memprobe::arch {

namespace {

// The kernel reads user memory with unprivileged loads (LDTR), which fault where a load of the process would,
// so a write(2) to a pipe from a PROT_EXEC page fails with EFAULT exactly where that page is execute-only. Where
// the question cannot be asked (a policy that refuses executable mappings, no pipe), the answer is "may".
bool AskKernelExecuteOnly() {
  const size_t page = GetMachine().page_size;
  void* mapping = mmap(nullptr, page, PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapping == MAP_FAILED) return true;
  bool unreadable = true;
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) == 0) {
    ssize_t written;
    do {
      written = write(ends[1], mapping, 1);
    } while (written < 0 && errno == EINTR);
    unreadable = written != 1;
    close(ends[0]);
    close(ends[1]);
  }
  munmap(mapping, page);
  return unreadable;
}

}  // namespace

// Asked once per process: every environment's addon load (each worker's too) reads the answer, which is the
// kernel's and cannot change.
bool ExecuteOnlyMayBeUnreadable() {
  static const bool unreadable = AskKernelExecuteOnly();
  return unreadable;
}

FaultAccess DecodedAccess(uintptr_t pc) {
  const GuardedResult instruction = memprobe_load_instruction(reinterpret_cast<const uint32_t*>(pc));
  if (instruction.trap != 0) return FaultAccess::kUnknown;
  return DecodeA64Access(static_cast<uint32_t>(instruction.address));
}

}  // namespace memprobe::arch
