// Which parts of this process's address space are readable, as maximal ranges exact to the page. Plain C++.
//
// Owns: where the scan makes its real accesses. The map list says where mappings are. The kernel keeps one
// protection per mapping, and a page whose entry is plain (a page, or none yet) reads exactly when the mapping's
// protection (and for a file, the file's end) lets it: so one guarded load speaks for the plain pages of an
// anonymous mapping, and for a file mapping a load of the last plain page, and a binary search when that faults,
// find where the file ends. What can make pages of one mapping differ gets page-by-page treatment:
//   - an entry that is not plain (a swap entry, a guard or poison marker, a hardware-poisoned page: the kernel's
//     "swapped" pages, page_table.h): a load each; guard regions the kernel names (6.15) are cut out unread;
//   - a mapping whose unpopulated pages must not be read (userfaultfd, hugetlb without reservation:
//     populated_only.h): a load for each page the kernel reports populated, the others are not readable;
//   - the kernel's special mappings ([vvar]…): a load per page.
// Must never: call a page readable that no load read, load from the gap below [stack], load an unpopulated page of
// a userfaultfd-registered range, or run in a signal handler.
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
