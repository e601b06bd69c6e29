// One copy request, whatever the strategy: checks the stack gap, picks the strategy, reports the outcome.
// Plain C++; the binding (memory_binding.cc) translates JavaScript arguments into a CopyRequest.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

#include "memory/fault.h"

namespace memprobe {

enum class Strategy : uint8_t { kSignal = 0, kSyscall = 1 };

struct Endpoint {
  uintptr_t address;
  bool js_owned;  // memory JavaScript owns: always accessible, never checked
};

struct CopyRequest {
  Endpoint dst;
  Endpoint src;
  size_t length;
  Strategy strategy;
  // 0: this process; otherwise exactly one side is JavaScript-owned and the other an address in process `pid`,
  // read with process_vm_readv or written with process_vm_writev
  pid_t pid;
};

// True when all `length` bytes were copied; otherwise `failure` says how far it got and why.
// The caller has checked that neither range wraps past 2^64.
bool CopyMemory(const CopyRequest& request, CopyFailure* failure);

}  // namespace memprobe
