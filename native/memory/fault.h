// Plain data shared by both copy strategies and the binding: what a copy did and why it stopped.
// No N-API, no allocation.
#pragma once

#include <cstddef>
#include <cstdint>

namespace memprobe {

// The order is the order of kFaultKindNames; the binding hands that list to JavaScript.
enum class FaultKind : uint8_t {
  kSegvMaperr,
  kSegvAccerr,
  kSegvPkuerr,
  kBusAdrerr,
  kBusObjerr,
  kNonCanonical,
  kEfault,
};
inline constexpr const char* kFaultKindNames[] = {
    "SEGV_MAPERR", "SEGV_ACCERR", "SEGV_PKUERR", "BUS_ADRERR", "BUS_OBJERR", "NONCANONICAL", "EFAULT",
};

enum class Access : uint8_t { kRead, kWrite };

struct Fault {
  FaultKind kind;
  int signo;         // SIGSEGV or SIGBUS; 0 when the syscall strategy found it
  Access access;
  uintptr_t address; // first byte that could not be accessed
};

// Why a copy stopped short. Copy functions return true when every byte was copied and fill a CopyFailure
// only otherwise, so the no-fault path builds nothing.
struct CopyFailure {
  size_t bytes_copied;  // exact readable-and-writable prefix
  Fault fault;          // meaningful when error == 0
  int error;            // errno of a system call that failed for another reason than EFAULT (EPERM, ESRCH...)
  const char* syscall;  // the call that set `error`
};

inline bool Faulted(CopyFailure* failure, size_t copied, Fault fault) {
  *failure = CopyFailure{copied, fault, 0, nullptr};
  return false;
}
inline bool Failed(CopyFailure* failure, int error, const char* syscall) {
  *failure = CopyFailure{0, Fault{}, error, syscall};
  return false;
}

// Translates a kernel-generated (signo, si_code) pair into the reported kind.
FaultKind FaultKindFromSignal(int signo, int si_code);

}  // namespace memprobe
