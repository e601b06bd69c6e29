// Facts about the machine, read once at load time: the page size (4, 16 or 64 KiB on aarch64, from sysconf;
// nothing in native/ assumes 4096). What depends on the processor (registers, the address space's end, CPU
// features) is memory/arch.h's.
//
// The folder native/common/ holds facts and helpers every other folder may use; it may never include any of them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace memprobe {

struct Machine {
  size_t page_size;
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
