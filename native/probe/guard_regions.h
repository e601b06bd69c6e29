// Guard regions (MADV_GUARD_INSTALL, Linux 6.13): pages inside a mapping that fault like unmapped ones
// (SEGV_MAPERR) while /proc/<pid>/maps lists the mapping whole. The scan learns where they are from the page
// tables (page_table.h). Plain C++.
//
// Owns: installing one (a fixture for tests).
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/system_call.h"

namespace memprobe {

// madvise(MADV_GUARD_INSTALL) over [address, address + length): page-aligned, inside an anonymous private mapping.
SystemCallResult InstallGuardRegion(uintptr_t address, size_t length);

}  // namespace memprobe
