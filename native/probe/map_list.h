// The mappings of a process as /proc/<pid>/maps lists them, read natively: the snapshot the prober uses to rule
// out addresses nothing maps, and to know where to make its real accesses. Plain C++, no N-API.
//
// Owns: reading and parsing the maps file into sorted entries. Must never: decide that anything is readable
// (only a real access does that; see probe.h), or be called from a signal handler (it allocates).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/system_call.h"

namespace memprobe {

// How one access speaks for the pages of a mapping (see scan.cc).
enum class MapKind : uint8_t {
  kAnonymous,  // no path, [heap], [stack], [anon:…]: one protection for every page
  kFile,       // a path (or another name): pages past the file's end fault, and only those
  kSpecial,    // the kernel's own ([vvar], [vdso], [vsyscall]…): each page may differ
};

struct MapEntry {
  uintptr_t start;
  uintptr_t end;
  bool read, write, execute;
  MapKind kind;
};

// Reads /proc/<pid>/maps (pid 0: this process). Entries come sorted by address, as the kernel lists them.
// Another process that is gone, or listed nothing and is a zombie, is the error CheckProcessAlive gives: a
// zombie's maps are empty, and must not pass for a process with nothing mapped. A maps file the kernel refuses
// (EACCES, EPERM: the same ptrace access check a read makes) is the error CheckProcessReadable gives, so every
// { pid } function reports a process it may not read as a read of its memory does.
SystemCallResult ReadMapList(pid_t pid, std::vector<MapEntry>* entries);

// Whether this process may read process `pid`'s memory now: EPERM from process_vm_readv when the ptrace access
// check (or a seccomp filter) refuses it, ESRCH (CheckProcessAlive) when it is gone or a zombie, else success.
// For answers given without a read of its memory, and for /proc/<pid> files the kernel refuses.
SystemCallResult CheckProcessReadable(pid_t pid);

// Whether process `pid` still has an address space: ESRCH from process_vm_readv, as a read of its memory reports
// it, for a process that is gone or has exited and is not yet reaped (a zombie, /proc/<pid>/stat state Z or X).
// An empty maps proves nothing (kernel threads have none), so the state decides, and one read of a byte confirms.
SystemCallResult CheckProcessAlive(pid_t pid);

// Index of the entry that contains `address`, or -1. Entries sorted, not overlapping.
ptrdiff_t FindMapEntry(const std::vector<MapEntry>& entries, uintptr_t address);

}  // namespace memprobe
