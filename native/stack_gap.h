// The gap below the main thread's [stack]: a plain access there does not fault, it silently grows the stack
// (and a kernel copy into it can too). A prober must not change the map it probes, so copies ask here first.
#pragma once

#include <cstddef>
#include <cstdint>

namespace memprobe {

// Reads /proc/self/maps once and the stack rlimit. Call at load time.
void StackGapInit();

// How many bytes from `address` can be accessed before the first page of [address, address + length) that
// lies in the growable gap and is not mapped (`length` if none). Costs a few msync() calls, only when the
// range reaches into the gap.
size_t StackGapLimit(uintptr_t address, size_t length);

}  // namespace memprobe
