#include "common/machine.h"

#include <unistd.h>

namespace memprobe {

namespace {
Machine Probe() { return Machine{static_cast<size_t>(sysconf(_SC_PAGESIZE))}; }
}  // namespace

namespace machine_detail {
const Machine g_machine = Probe();
}

}  // namespace memprobe
