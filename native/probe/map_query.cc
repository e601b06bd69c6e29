#include "probe/map_query.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <mutex>

namespace memprobe {

namespace {

// linux/fs.h of Linux 6.11 (the build machine's headers may be older): the stable UAPI of PROCMAP_QUERY.
struct ProcmapQuery {
  uint64_t size;
  uint64_t query_flags;
  uint64_t query_addr;
  uint64_t vma_start;
  uint64_t vma_end;
  uint64_t vma_flags;
  uint64_t vma_page_size;
  uint64_t vma_offset;
  uint64_t inode;
  uint32_t dev_major;
  uint32_t dev_minor;
  uint32_t vma_name_size;
  uint32_t build_id_size;
  uint64_t vma_name_addr;
  uint64_t build_id_addr;
};
constexpr unsigned long kProcmapQuery = _IOWR('f', 17, ProcmapQuery);
constexpr uint64_t kCoveringOrNextVma = 0x10;

int MapsDescriptor() {
  static int fd = -1;
  static std::once_flag opened;
  std::call_once(opened, [] { fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC); });
  return fd;
}

}  // namespace

bool QueryMappings(uint64_t start, uint64_t end, std::vector<QueriedMapping>* out) {
  out->clear();
  const int fd = MapsDescriptor();
  if (fd < 0) return false;
  for (uint64_t at = start; at < end;) {
    ProcmapQuery query{};
    query.size = sizeof query;
    query.query_flags = kCoveringOrNextVma;
    query.query_addr = at;
    if (ioctl(fd, kProcmapQuery, &query) != 0) {
      if (errno == ENOENT) return true;  // nothing mapped at or after `at`
      out->clear();
      return false;  // ENOTTY: a kernel without PROCMAP_QUERY
    }
    if (query.vma_start >= end) return true;
    out->push_back({query.vma_start, query.vma_end, query.vma_flags & 0x0f});
    at = query.vma_end;
  }
  return true;
}

}  // namespace memprobe
