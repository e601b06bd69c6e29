#include "common/machine.h"

#include <cpuid.h>
#include <unistd.h>

namespace memprobe {

namespace {
Machine Probe() {
  Machine machine{static_cast<size_t>(sysconf(_SC_PAGESIZE)), false};
  unsigned eax, ebx, ecx, edx;
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) machine.has_erms = (ebx >> 9) & 1;
  return machine;
}
}  // namespace

namespace machine_detail {
const Machine g_machine = Probe();
}

}  // namespace memprobe
