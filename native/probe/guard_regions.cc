#include "probe/guard_regions.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>

namespace memprobe {

namespace {

// PAGEMAP_SCAN (Linux 6.7) and its guard-region category (6.15), declared here: older C library headers lack them.
struct PageRegion {
  uint64_t start, end, categories;
};
struct PagemapScanArgument {
  uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages, category_inverted, category_mask,
      category_anyof_mask, return_mask;
};
constexpr unsigned long kPagemapScan = _IOWR('f', 16, PagemapScanArgument);
constexpr uint64_t kPageIsGuard = 1 << 8;
constexpr uint64_t kUserEnd = 0x7ffffffff000;  // TASK_SIZE on x86-64 with 4-level page tables
constexpr int kMadvGuardInstall = 102;

}  // namespace

std::vector<Range> GuardRegions(uint64_t start, uint64_t end) {
  std::vector<Range> guards;
  end = std::min(end, kUserEnd);
  if (start >= end) return guards;
  const int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return guards;
  PageRegion regions[64];
  // One walk over the whole window: the kernel's cost is the page tables it visits, not the number of mappings.
  while (start < end) {
    PagemapScanArgument argument{};
    argument.size = sizeof argument;
    argument.start = start;
    argument.end = end;
    argument.vec = reinterpret_cast<uint64_t>(regions);
    argument.vec_len = sizeof regions / sizeof regions[0];
    argument.category_mask = kPageIsGuard;
    argument.return_mask = kPageIsGuard;
    const int found = ioctl(fd, kPagemapScan, &argument);
    if (found < 0) break;  // ENOTTY (before 6.7), EINVAL (no guard category before 6.15)
    for (int i = 0; i < found; i++) AppendRange(&guards, regions[i].start, regions[i].end);
    if (argument.walk_end <= start || argument.walk_end >= end) break;
    start = argument.walk_end;
  }
  close(fd);
  return guards;
}

SystemCallResult InstallGuardRegion(uintptr_t address, size_t length) {
  return FromReturnCode(madvise(reinterpret_cast<void*>(address), length, kMadvGuardInstall), "madvise");
}

}  // namespace memprobe
