// The registry of guarded regions: all the guard knows about who it protects. A guarded region is a block of
// assembly routines that follow guarded_access.h's convention (leaves that never touch the stack nor the
// callee-saved registers), with a recovery label right after the last of them. Each region registers itself from
// its own file, during the addon's static initialisation; the guard's handler asks the registry whether a faulting
// PC lies in one and where to resume it. Adding a region (another architecture's routines, an access monitor's)
// never edits the guard.
//
// Owns: the table of regions. Must never: allocate, lock or grow once the guard is installed; a handler reads it.
#pragma once

#include <cstdint>

namespace memprobe {

// What a region's recovery label returns in its first register: 0 for no fault, else the signal and si_code.
inline constexpr uint64_t EncodeTrap(int signo, int code) {
  return static_cast<uint64_t>(static_cast<uint32_t>(signo)) << 32 | static_cast<uint32_t>(code);
}
inline int TrapSignal(uint64_t trap) { return static_cast<int>(trap >> 32); }
inline int TrapCode(uint64_t trap) { return static_cast<int>(static_cast<uint32_t>(trap)); }

// Adds the region [begin, recover): a fault at a PC inside it resumes at `recover`. For static initialisers only
// (before the guard is installed, on the loading thread). Returns true, so that it can initialise a constant.
bool RegisterGuardedRegion(const void* begin, const char* recover);

// The recovery label of the registered region holding `pc`, or null. Async-signal-safe: reads a fixed table.
const char* GuardedRecoveryLabel(uintptr_t pc);

}  // namespace memprobe
