#include "watch/write_tracking.h"

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

}  // namespace memprobe
