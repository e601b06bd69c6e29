// The signal strategy: copy with plain loads and stores under the guard (guard.h) and turn a fault into an
// exact prefix. The no-fault path makes no system call.
#pragma once

#include <cstddef>
#include <cstdint>

#include "memory/fault.h"

namespace memprobe {

// Copies `length` bytes like memmove. On a fault, bytes_copied is the exact prefix whose source pages are
// readable and destination pages writable; destination bytes past it are untouched (except, for overlapping
// ranges interrupted by a change of the memory map, the overlapping bytes).
// Returns true when all of it was copied; otherwise fills `failure`.
bool SignalCopy(uint8_t* dst, const uint8_t* src, size_t length, CopyFailure* failure);

}  // namespace memprobe
