// The gap below the main thread's [stack]: a plain access there does not fault, it silently grows the stack
// (and a kernel copy into it can too). A prober must not change the map it probes, so copies ask here first.
#pragma once

#include <cstddef>
#include <cstdint>

namespace memprobe {

// Reads /proc/self/maps once and the stack rlimit. Call at load time.
void StackGapInit();

namespace stack_gap_detail {
extern uintptr_t g_gap_low;   // [low, high): addresses below [stack] the main thread's stack could grow into
extern uintptr_t g_gap_high;
size_t LimitInGap(uintptr_t address, size_t length);
}  // namespace stack_gap_detail

// How many bytes from `address` can be accessed before the first page of [address, address + length) that
// lies in the growable gap and is not mapped (`length` if none). Two comparisons when the range is elsewhere;
// a few msync() calls only when it reaches into the gap. The caller guarantees no wrap past 2^64.
inline size_t StackGapLimit(uintptr_t address, size_t length) {
  if (address + length <= stack_gap_detail::g_gap_low || address >= stack_gap_detail::g_gap_high) return length;
  return stack_gap_detail::LimitInGap(address, length);
}

}  // namespace memprobe
