// Whether an instruction at an address can be fetched now: the one question about memory that no guarded load
// or store can answer, asked by the fault chain after a handler returned from an instruction-fetch fault (did
// it make the code executable again?).
//
// Runs inside a signal handler: reads /proc/self/maps with open/read/close into a buffer on the stack; no
// allocation, no stdio, no locks. Its cost is that of reading the maps (tens of microseconds), paid only for a
// fetch fault that a foreign handler returned from without changing the registers.
#pragma once

#include <cstdint>

namespace memprobe {

enum class Executable : uint8_t { kYes, kNo, kUnknown };

// kNo when no mapping holds `address` or the one that does lacks execute permission; kUnknown when the maps
// could not be read.
Executable ExecutableNow(uintptr_t address);

}  // namespace memprobe
