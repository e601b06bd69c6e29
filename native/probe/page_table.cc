#include "probe/page_table.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>

#include "common/machine.h"
#include "common/pagemap_abi.h"
#include "memory/arch.h"

namespace memprobe {

namespace {

using pagemap::kEntryPresent;
using pagemap::kEntrySwapped;

void AppendRun(std::vector<PageRun>* runs, uint64_t start, uint64_t end, uint64_t categories) {
  if (!runs->empty() && runs->back().end == start && runs->back().categories == categories) {
    runs->back().end = end;
  } else {
    runs->push_back(PageRun{start, end, categories});
  }
}

}  // namespace

PageTable::PageTable() : fd_(open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)) {}

PageTable::~PageTable() {
  if (fd_ >= 0) close(fd_);
}

bool PageTable::Scan(uint64_t start, uint64_t end, uint64_t categories, std::vector<PageRun>* runs) {
  if (fd_ < 0 || !scan_works_) return false;
  if (!guard_works_) categories &= ~uint64_t{kPageGuard};
  end = std::min(end, static_cast<uint64_t>(arch::MappableEnd()));  // TASK_SIZE
  if (start >= end) return true;
  const size_t before = runs->size();
  if (FindByScan(start, end, categories, runs)) return true;
  runs->resize(before);
  if (errno == EINVAL && (categories & kPageGuard) != 0) {  // 6.7 to 6.14: no guard category
    guard_works_ = false;
    return Scan(start, end, categories, runs);
  }
  if (errno == ENOTTY) scan_works_ = false;  // before 6.7
  return false;
}

bool PageTable::Find(uint64_t start, uint64_t end, uint64_t categories, std::vector<PageRun>* runs) {
  if (Scan(start, end, categories, runs)) return true;
  if (fd_ < 0 || scan_works_) return false;  // PAGEMAP_SCAN exists and failed: nothing to fall back on
  return FindByEntries(start, end, categories & (kPagePresent | kPageSwapped), runs);
}

bool PageTable::FindByScan(uint64_t start, uint64_t end, uint64_t categories, std::vector<PageRun>* runs) {
  pagemap::Region regions[64];
  while (start < end) {
    pagemap::ScanArgument argument{};
    argument.size = sizeof argument;
    argument.start = start;
    argument.end = end;
    argument.vec = reinterpret_cast<uint64_t>(regions);
    argument.vec_len = sizeof regions / sizeof regions[0];
    argument.category_anyof_mask = categories;
    argument.return_mask = categories;
    const int found = ioctl(fd_, pagemap::kScan, &argument);
    if (found < 0) return false;
    for (int i = 0; i < found; i++) AppendRun(runs, regions[i].start, regions[i].end, regions[i].categories);
    if (argument.walk_end <= start || argument.walk_end >= end) break;
    start = argument.walk_end;
  }
  return true;
}

bool PageTable::AllPopulated(uint64_t start, uint64_t end) {
  if (fd_ < 0 || !scan_works_) return false;
  end = std::min(end, static_cast<uint64_t>(arch::MappableEnd()));
  if (start >= end) return true;
  pagemap::Region first_unpopulated;
  pagemap::ScanArgument argument{};
  argument.size = sizeof argument;
  argument.start = start;
  argument.end = end;
  argument.vec = reinterpret_cast<uint64_t>(&first_unpopulated);
  argument.vec_len = 1;
  argument.max_pages = 1;
  // A page matches when, with both categories inverted, it has both: it is neither present nor swapped.
  argument.category_inverted = kPagePresent | kPageSwapped;
  argument.category_mask = kPagePresent | kPageSwapped;
  argument.return_mask = kPagePresent | kPageSwapped;
  const int found = ioctl(fd_, pagemap::kScan, &argument);
  if (found < 0 && errno == ENOTTY) scan_works_ = false;
  return found == 0 && argument.walk_end >= end;
}

bool PageTable::FindByEntries(uint64_t start, uint64_t end, uint64_t categories, std::vector<PageRun>* runs) {
  const uint64_t page = GetMachine().page_size;
  uint64_t entries[512];
  while (start < end) {
    const uint64_t count = std::min<uint64_t>((end - start) / page, sizeof entries / sizeof entries[0]);
    const ssize_t got = pread(fd_, entries, count * sizeof entries[0], static_cast<off_t>(start / page * 8));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    const uint64_t read = static_cast<uint64_t>(got) / sizeof entries[0];
    for (uint64_t i = 0; i < read; i++) {
      const uint64_t in = ((entries[i] & kEntryPresent) != 0 ? uint64_t{kPagePresent} : 0) |
                          ((entries[i] & kEntrySwapped) != 0 ? uint64_t{kPageSwapped} : 0);
      if ((in & categories) != 0) AppendRun(runs, start + i * page, start + (i + 1) * page, in & categories);
    }
    start += read * page;
  }
  return true;
}

}  // namespace memprobe
