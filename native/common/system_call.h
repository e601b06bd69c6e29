// The result of a thin system-call wrapper: a value, or the errno and the call that set it. Plain data shared
// by the wrappers (pages, signal sending) and the binding, which turns a failure into a SystemError.
#pragma once

#include <errno.h>

#include <cstdint>

namespace memprobe {

struct SystemCallResult {
  uintptr_t value;      // what the call returned (an address), when anything
  int error;            // errno, 0 on success
  const char* syscall;  // the call that failed
};

inline SystemCallResult Succeeded(uintptr_t value = 0) { return SystemCallResult{value, 0, nullptr}; }
// Reads errno: call it straight after the call that failed.
inline SystemCallResult Failed(const char* syscall) { return SystemCallResult{0, errno, syscall}; }
// For calls that return 0 or -1 with errno.
inline SystemCallResult FromReturnCode(int rc, const char* syscall) { return rc == 0 ? Succeeded() : Failed(syscall); }

}  // namespace memprobe
