#include "probe/guard_regions.h"

#include <sys/mman.h>

namespace memprobe {

namespace {

constexpr int kMadvGuardInstall = 102;  // declared here: older C library headers lack it

}  // namespace

SystemCallResult InstallGuardRegion(uintptr_t address, size_t length) {
  return FromReturnCode(madvise(reinterpret_cast<void*>(address), length, kMadvGuardInstall), "madvise");
}

}  // namespace memprobe
