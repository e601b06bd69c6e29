#include "watch/write_tracking.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

namespace memprobe {

const std::vector<TrackingMechanism>& TrackingMechanisms() {
  // Best first: PAGEMAP_SCAN costs the kernel one page-table walk and disturbs nobody; soft-dirty reads 8 bytes
  // per page and clears the bits of the whole process. The access monitor's write faults come last when they are
  // wired in (one row here).
  static const std::vector<TrackingMechanism> mechanisms = {
      {"pagemap-scan", StartPagemapScanTracking},
      {"soft-dirty", StartSoftDirtyTracking},
  };
  return mechanisms;
}

void SetTrackingFailure(TrackingError* error, TrackingFailure kind, const char* syscall, std::string reason) {
  error->kind = kind;
  error->error = errno;
  error->syscall = syscall;
  error->reason = std::move(reason);
}

int OpenPagemap(TrackingError* error) {
  const int pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (pagemap < 0) {
    SetTrackingFailure(error, TrackingFailure::kUnavailable, "open", "/proc/self/pagemap cannot be opened");
  }
  return pagemap;
}

}  // namespace memprobe
