// Which parts of this process's address space are readable, as maximal ranges exact to the page. Plain C++.
//
// Owns: where the scan makes its real accesses. The map list says where mappings are; the kernel keeps one
// protection per mapping, so one guarded load speaks for every page of an anonymous mapping; a file mapping can
// only stop being readable at the file's end (pages past it raise SIGBUS), so a load of its last page, and a
// binary search when that faults, find the exact end; the kernel's special mappings ([vvar]…) get a load per page;
// guard regions (MADV_GUARD_INSTALL, inside a mapping) are cut out first (guard_regions.h).
// Must never: call a page readable that no load read, load from the gap below [stack], or run in a signal handler.
#pragma once

#include <cstdint>
#include <vector>

#include "common/system_call.h"

namespace memprobe {

struct Range {
  uint64_t start;
  uint64_t end;  // exclusive
};

// Appends [start, end) to `ranges`, merged with the last range when they touch.
void AppendRange(std::vector<Range>* ranges, uint64_t start, uint64_t end);

// Readable ranges within [start, end) (page-aligned by the caller), sorted and merged.
SystemCallResult ScanReadable(uint64_t start, uint64_t end, std::vector<Range>* ranges);

}  // namespace memprobe
