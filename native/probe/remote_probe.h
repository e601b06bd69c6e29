// Probing and scanning another process through process_vm_readv. Plain C++, no N-API.
//
// Owns: the verdicts for another process. `readable` only when a read of that page succeeded (one byte of each
// page, many pages per call: the kernel stops at the first element it cannot read, so each verdict is still per
// page); a page the process's maps list but that cannot be read is `protected`, one they do not list `unmapped`.
// Must never: write to the other process, or run in a signal handler.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/system_call.h"
#include "probe/scan.h"

namespace memprobe {

// Verdicts (ProbeCode) for `count` addresses of process `pid`. EPERM, ESRCH and the like come back as the error,
// also when every verdict came from the maps (a process whose maps this one may read, but not its memory);
// a process that is gone or a zombie is ESRCH (CheckProcessAlive), never a process with nothing mapped.
SystemCallResult ProbeAddressesRemote(pid_t pid, const uint64_t* addresses, uint8_t* codes, size_t count);

// Readable ranges of process `pid` within [start, end) (page-aligned): every page its maps list as readable is read;
// where none is, one read asks whether this process may read it at all (EPERM). A process that is gone or a zombie before or after the reads is ESRCH: the ranges are of a living process or
// not at all.
SystemCallResult ScanReadableRemote(pid_t pid, uint64_t start, uint64_t end, std::vector<Range>* ranges);

}  // namespace memprobe
