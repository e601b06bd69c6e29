// The mappings over an address range of this process as the kernel's VMA list has them right now, one system call
// per mapping (PROCMAP_QUERY, Linux 6.11): microseconds, where a read of /proc/self/maps takes a millisecond in a
// large process. The fuzzer brackets a copy with it, so that a map another thread changes and changes back while the
// maps file is read cannot pass for a stable one. Plain C++, no N-API.
//
// Owns: the one descriptor of /proc/self/maps it queries (opened at first use, kept for the process's life).
// Must never: be called from a signal handler.
#pragma once

#include <cstdint>
#include <vector>

namespace memprobe {

struct QueriedMapping {
  uint64_t start;
  uint64_t end;
  uint64_t flags;  // kMappingReadable | kMappingWritable | kMappingExecutable | kMappingShared
};

constexpr uint64_t kMappingReadable = 0x01;
constexpr uint64_t kMappingWritable = 0x02;
constexpr uint64_t kMappingExecutable = 0x04;
constexpr uint64_t kMappingShared = 0x08;

// The mappings that overlap [start, end), in address order, clipped to nothing (whole VMAs). False where the kernel
// has no PROCMAP_QUERY (before 6.11) or /proc is not there; `out` is then empty.
bool QueryMappings(uint64_t start, uint64_t end, std::vector<QueriedMapping>* out);

}  // namespace memprobe
