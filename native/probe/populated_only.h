// Mappings whose pages can be read only once something populated them, as /proc/self/smaps' VmFlags say: the first
// read of any other page is not the kernel's to answer with a page. Plain C++.
//
//   um, ui  registered with a userfaultfd for missing or minor faults: the read is handed to the monitor, which
//           answers with SIGBUS (UFFD_FEATURE_SIGBUS) or makes the reading thread wait until it fills the page
//           (and a scan of our own pages must neither wait for someone else nor make them fill anything)
//   ht + nr hugetlb without a reservation (MAP_NORESERVE): the read takes a huge page from the pool, SIGBUS when
//           the pool is empty
// Write-protect registration (uw) changes only what a write does, so those mappings need nothing here.
//
// Owns: reading VmFlags. Must never: be called from a signal handler (it allocates).
#pragma once

#include <cstdint>
#include <vector>

#include "common/system_call.h"
#include "probe/scan.h"

namespace memprobe {

// The parts of [start, end) that such mappings cover, sorted and merged.
SystemCallResult PopulatedOnlyRanges(uint64_t start, uint64_t end, std::vector<Range>* ranges);

}  // namespace memprobe
