#include "memory/stack_gap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <algorithm>

#include "common/machine.h"

namespace memprobe {

namespace stack_gap_detail {
uintptr_t g_gap_low = 0;
uintptr_t g_gap_high = 0;
}  // namespace stack_gap_detail

namespace {

using stack_gap_detail::g_gap_high;
using stack_gap_detail::g_gap_low;

bool Mapped(uintptr_t begin, uintptr_t end) {
  // msync answers "is all of it mapped?" (ENOMEM if not) without touching or growing anything.
  return msync(reinterpret_cast<void*>(begin), end - begin, MS_ASYNC) == 0 || errno != ENOMEM;
}

// First page in [begin, end) (page-aligned) that is not mapped, by bisection: O(log pages) msync calls.
uintptr_t FirstUnmappedPage(uintptr_t begin, uintptr_t end) {
  const size_t page = GetMachine().page_size;
  if (Mapped(begin, end)) return end;
  while (end - begin > page) {
    const uintptr_t middle = begin + ((end - begin) / page / 2) * page;
    if (Mapped(begin, middle)) {
      begin = middle;
    } else {
      end = middle;
    }
  }
  return begin;
}

// One line of /proc/self/maps (without its newline): the range, and whether it is the main thread's stack.
// The pathname field, which follows the inode after padding, must be exactly "[stack]": a file whose path
// merely contains that text is not the stack.
struct MapsLine {
  uintptr_t start;
  uintptr_t end;
  bool is_stack;
};

bool ParseMapsLine(const char* line, MapsLine* out) {
  unsigned long start = 0, end = 0;
  int pathname = -1;
  if (sscanf(line, "%lx-%lx %*s %*x %*x:%*x %*u %n", &start, &end, &pathname) != 2 || pathname < 0) return false;
  *out = MapsLine{start, end, strcmp(line + pathname, "[stack]") == 0};
  return true;
}

}  // namespace

void StackGapInit() {
  FILE* maps = fopen("/proc/self/maps", "re");
  if (maps == nullptr) return;
  // getline grows its buffer to the longest line: a path may be up to PATH_MAX long, and a line read in
  // fixed-size pieces would be parsed from the middle of a path.
  char* line = nullptr;
  size_t capacity = 0;
  ssize_t length;
  uintptr_t previous_end = 0;
  while ((length = getline(&line, &capacity, maps)) > 0) {
    if (line[length - 1] == '\n') line[length - 1] = '\0';
    MapsLine parsed;
    if (!ParseMapsLine(line, &parsed)) continue;
    if (parsed.is_stack) {
      g_gap_low = previous_end;
      g_gap_high = parsed.start;
      break;
    }
    previous_end = parsed.end;
  }
  free(line);
  fclose(maps);
  // The stack never grows past its rlimit: that bounds the gap when the mapping below is far away.
  struct rlimit limit;
  if (g_gap_high != 0 && getrlimit(RLIMIT_STACK, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
      limit.rlim_cur < g_gap_high) {
    g_gap_low = std::max<uintptr_t>(g_gap_low, PageFloor(g_gap_high - limit.rlim_cur));
  }
}

size_t stack_gap_detail::LimitInGap(uintptr_t address, size_t length) {
  const uintptr_t end = address + length;
  const uintptr_t begin = PageFloor(std::max(address, g_gap_low));
  const uintptr_t stop = std::min(end, g_gap_high);
  const uintptr_t first = FirstUnmappedPage(begin, PageFloor(stop - 1) + GetMachine().page_size);
  if (first >= stop) return length;
  return first <= address ? 0 : first - address;
}

}  // namespace memprobe
