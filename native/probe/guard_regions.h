// Guard regions (MADV_GUARD_INSTALL, Linux 6.13): pages inside a mapping that fault like unmapped ones
// (SEGV_MAPERR) while /proc/<pid>/maps lists the mapping whole. The scan must know where they are. Plain C++.
//
// Owns: asking the kernel where they are (PAGEMAP_SCAN, 6.15), and installing one (a fixture for tests).
// Must never: be called from a signal handler (it allocates).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/system_call.h"
#include "probe/scan.h"

namespace memprobe {

// This process's guard regions within [start, end), sorted and merged. Empty when the kernel cannot report them.
std::vector<Range> GuardRegions(uint64_t start, uint64_t end);

// madvise(MADV_GUARD_INSTALL) over [address, address + length): page-aligned, inside an anonymous private mapping.
SystemCallResult InstallGuardRegion(uintptr_t address, size_t length);

}  // namespace memprobe
