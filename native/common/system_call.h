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
  // When this failure stands for an earlier one (an open of a /proc/<pid> file the kernel refused, confirmed by a
  // read of the process's memory: see probe/map_list.h), that open's errno and the file's name under /proc/<pid>/
  // ("maps"), which the SystemError keeps as its `cause`; else 0 and nullptr.
  int cause_error = 0;
  const char* cause_file = nullptr;
};

inline SystemCallResult Succeeded(uintptr_t value = 0) { return SystemCallResult{value, 0, nullptr}; }
// Reads errno: call it straight after the call that failed.
inline SystemCallResult Failed(const char* syscall) { return SystemCallResult{0, errno, syscall}; }
// For calls that return 0 or -1 with errno.
inline SystemCallResult FromReturnCode(int rc, const char* syscall) { return rc == 0 ? Succeeded() : Failed(syscall); }

}  // namespace memprobe
