// Facts about the machine, read once at load time: the page size (4, 16 or 64 KiB on aarch64, from sysconf;
// nothing in native/ assumes 4096), and whether the pattern search may use AVX2. What depends on the processor
// otherwise (registers, the address space's end, the fault path's CPU features) is memory/arch.h's.
//
// The folder native/common/ holds facts and helpers every other folder may use; it may never include any of them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace memprobe {

struct Machine {
  size_t page_size;
  bool has_avx2;  // x86-64: the CPU has AVX2 (CPUID leaf 7 EBX bit 5) and the kernel saves YMM state (XCR0)
};

namespace machine_detail {
extern const Machine g_machine;  // filled while the addon loads, before any copy can run
}

// Safe to read from any thread and from a signal handler.
inline const Machine& GetMachine() { return machine_detail::g_machine; }

inline uintptr_t PageFloor(uintptr_t address) { return address & ~(uintptr_t)(GetMachine().page_size - 1); }

// Bytes from `address` to the next page boundary.
inline size_t BytesToPageEnd(uintptr_t address) {
  const size_t page = GetMachine().page_size;
  return page - (address & (page - 1));
}

}  // namespace memprobe
