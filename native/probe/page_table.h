// What this process's page tables hold for a range of pages, as the kernel reports it without touching them:
// PAGEMAP_SCAN (Linux 6.7) in runs, else /proc/self/pagemap one entry per page. Plain C++.
//
// Owns: asking the kernel which pages are populated (present, or a swap entry) and which hold an entry that is not
// a plain page: a swap entry, a marker (guard regions, userfaultfd poison), a hardware-poisoned page. The kernel
// files every marker under "swapped"; it names guard regions apart only from 6.15 on (PAGE_IS_GUARD).
// Must never: decide that a page is readable (only a load does; scan.cc makes them), or be called from a signal
// handler (it allocates).
#pragma once

#include <cstdint>
#include <vector>

namespace memprobe {

// PAGEMAP_SCAN's categories (uapi/linux/fs.h).
enum PageCategory : uint64_t {
  kPagePresent = 1 << 3,
  kPageSwapped = 1 << 4,  // a swap entry, or a marker: guard, poison, hardware poison
  kPageGuard = 1 << 8,    // a guard region (MADV_GUARD_INSTALL); reported from 6.15 on
};

struct PageRun {
  uint64_t start;
  uint64_t end;  // exclusive
  uint64_t categories;  // those of the asked-for categories the pages are in
};

class PageTable {
 public:
  PageTable();
  ~PageTable();
  PageTable(const PageTable&) = delete;
  PageTable& operator=(const PageTable&) = delete;

  // Appends, in address order, the runs of pages in [start, end) (page-aligned, in the user half) that are in any
  // of `categories`, from one PAGEMAP_SCAN walk (its cost is the page tables it visits, not the window's size).
  // kPageGuard is dropped where the kernel cannot report it (guards are then among the swapped pages). False where
  // PAGEMAP_SCAN is missing (before 6.7) or fails.
  bool Scan(uint64_t start, uint64_t end, uint64_t categories, std::vector<PageRun>* runs);

  // The same for a range inside one mapping, from /proc/self/pagemap's entries where PAGEMAP_SCAN is missing
  // (those know kPagePresent and kPageSwapped only). False when the kernel tells nothing: the caller proves nothing.
  bool Find(uint64_t start, uint64_t end, uint64_t categories, std::vector<PageRun>* runs);

  // Whether the kernel says every page of [start, end) is populated (present, or a swap entry): one PAGEMAP_SCAN
  // that stops at the first page that is neither. False when one is not, or when the kernel cannot tell.
  bool AllPopulated(uint64_t start, uint64_t end);

 private:
  bool FindByScan(uint64_t start, uint64_t end, uint64_t categories, std::vector<PageRun>* runs);
  bool FindByEntries(uint64_t start, uint64_t end, uint64_t categories, std::vector<PageRun>* runs);

  int fd_;
  bool scan_works_ = true;   // PAGEMAP_SCAN exists (6.7)
  bool guard_works_ = true;  // and knows PAGE_IS_GUARD (6.15)
};

}  // namespace memprobe
