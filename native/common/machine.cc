#include "common/machine.h"

#include <unistd.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace memprobe {

namespace {

bool HasAvx2() {
#if defined(__x86_64__)
  unsigned eax, ebx, ecx, edx;
  // XGETBV exists only where the OS set CR4.OSXSAVE (leaf 1 ECX bit 27); XCR0 bits 1 and 2: the kernel saves and
  // restores the XMM and YMM registers, without which an AVX instruction faults (#UD) or state is lost.
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || ((ecx >> 27) & 1) == 0) return false;
  unsigned xcr0_low, xcr0_high;
  __asm__("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
  if ((xcr0_low & 6) != 6) return false;
  return __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && ((ebx >> 5) & 1);
#else
  return false;
#endif
}

Machine Probe() { return Machine{static_cast<size_t>(sysconf(_SC_PAGESIZE)), HasAvx2()}; }

}  // namespace

namespace machine_detail {
const Machine g_machine = Probe();
}

}  // namespace memprobe
