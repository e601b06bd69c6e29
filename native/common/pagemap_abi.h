// The kernel's /proc/<pid>/pagemap interface as this kernel's uapi headers declare it (linux/fs.h), declared
// here because older C library headers lack PAGEMAP_SCAN (Linux 6.7). Documentation/admin-guide/mm/pagemap.rst.
//
// Owns: nothing but the ABI's types and constants, shared by the page-table view (probe/page_table.cc) and write
// tracking (watch/). Must never: hold code.
#pragma once

#include <sys/ioctl.h>

#include <cstdint>

namespace memprobe {
namespace pagemap {

// One run of pages that PAGEMAP_SCAN found (struct page_region).
struct Region {
  uint64_t start, end, categories;
};

// struct pm_scan_arg
struct ScanArgument {
  uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages, category_inverted, category_mask,
      category_anyof_mask, return_mask;
};
constexpr unsigned long kScan = _IOWR('f', 16, ScanArgument);

// ScanArgument.flags
constexpr uint64_t kWriteProtectMatching = 1 << 0;  // PM_SCAN_WP_MATCHING: write-protect the pages found
constexpr uint64_t kCheckWriteProtectAsync = 1 << 1;  // PM_SCAN_CHECK_WPASYNC: fail unless the range is uffd WP-async

// Categories (PAGE_IS_*).
constexpr uint64_t kIsWritten = 1 << 1;
constexpr uint64_t kIsPresent = 1 << 3;
constexpr uint64_t kIsSwapped = 1 << 4;
constexpr uint64_t kIsZeroPage = 1 << 5;  // PAGE_IS_PFNZERO: the shared zero page, mapped by a read

// A /proc/<pid>/pagemap entry (8 bytes per page).
constexpr uint64_t kEntryPresent = uint64_t{1} << 63;
constexpr uint64_t kEntrySwapped = uint64_t{1} << 62;
constexpr uint64_t kEntrySoftDirty = uint64_t{1} << 55;

}  // namespace pagemap
}  // namespace memprobe
