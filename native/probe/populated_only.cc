#include "probe/populated_only.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <string>

namespace memprobe {

namespace {

bool IsHexDigit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

uint64_t ParseHex(const char** p, const char* end) {
  uint64_t value = 0;
  for (; *p < end && IsHexDigit(**p); (*p)++) {
    value = value << 4 | static_cast<uint64_t>(**p <= '9' ? **p - '0' : **p - 'a' + 10);
  }
  return value;
}

// The flags of a "VmFlags: rd wr mr mw me um ac" line that matter here.
bool PopulatedOnly(const char* p, const char* end) {
  bool hugetlb = false, unreserved = false;
  for (; p + 2 <= end; p++) {
    if (p[0] == ' ' || p[1] == ' ') continue;
    const char a = p[0], b = p[1];
    if (a == 'u' && (b == 'm' || b == 'i')) return true;
    if (a == 'h' && b == 't') hugetlb = true;
    if (a == 'n' && b == 'r') unreserved = true;
    p++;  // the flag's second letter
  }
  return hugetlb && unreserved;
}

}  // namespace

SystemCallResult PopulatedOnlyRanges(uint64_t start, uint64_t end, std::vector<Range>* ranges) {
  const int fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Failed("open");
  // Line by line as the text arrives: smaps runs to a few dozen lines per mapping.
  std::string text;
  char buffer[64 * 1024];
  uint64_t entry_start = 0, entry_end = 0;
  for (;;) {
    const ssize_t got = read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const SystemCallResult failed = Failed("read");
      close(fd);
      return failed;
    }
    text.append(buffer, static_cast<size_t>(got));
    size_t line = 0;
    for (;;) {
      const size_t newline = text.find('\n', line);
      if (newline == std::string::npos && got > 0) break;  // the rest of this line comes with the next read
      const char* p = text.data() + line;
      const char* const line_end = text.data() + (newline == std::string::npos ? text.size() : newline);
      if (p < line_end && IsHexDigit(*p)) {  // "start-end perms offset dev inode name": a mapping begins
        entry_start = ParseHex(&p, line_end);
        if (p < line_end && *p == '-') p++;
        entry_end = ParseHex(&p, line_end);
      } else if (static_cast<size_t>(line_end - p) > 8 && memcmp(p, "VmFlags:", 8) == 0 &&
                 PopulatedOnly(p + 8, line_end)) {
        AppendRange(ranges, std::max(entry_start, start), std::min(entry_end, end));
      }
      if (newline == std::string::npos) break;
      line = newline + 1;
    }
    if (got == 0) break;
    text.erase(0, line);
  }
  close(fd);
  return Succeeded();
}

}  // namespace memprobe
