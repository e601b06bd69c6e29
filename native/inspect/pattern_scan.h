// Searching memory for a byte pattern with masks (Frida's match patterns: "48 8b ?? 05", nibbles "4?"), in this
// process in place (every load guarded: memprobe_find_pattern) or in another one through process_vm_readv, one
// bounded window at a time. Plain C++, no N-API; lib/inspect/pattern.ts parses the pattern, lib/inspect/scan-memory.ts walks the
// readable ranges.
//
// Owns: the matching rule and where a scan of one range stops. A match lies wholly inside [start, end); matches
// never overlap (after one, the search goes on after its last byte, as Frida's Memory.scan does). A fault or a
// short read stops the scan there: every match that ends before that byte has been found. Must never: load from
// the gap below [stack], or allocate per match beyond the result vector.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/system_call.h"
#include "inspect/inspect_access.h"

namespace memprobe {

class Pattern {
 public:
  // `bytes` and `masks` have `length` entries; at least one mask must be non-zero.
  Pattern(const uint8_t* bytes, const uint8_t* masks, size_t length);
  Pattern(Pattern&&) = default;  // the spec points into pairs_, whose buffer a move keeps
  Pattern(const Pattern&) = delete;
  Pattern& operator=(const Pattern&) = delete;
  size_t length() const { return spec_.length; }
  const PatternSpec& spec() const { return spec_; }

 private:
  std::vector<uint8_t> pairs_;  // (mask, byte & mask) per byte
  PatternSpec spec_;
};

// The routine every pattern search of this process runs: AVX2 where Machine::has_avx2, else the 16-byte one
// (SSE2 on x86-64, NEON on aarch64). Forcing one is for tests and benchmarks, which compare the two.
enum class PatternRoutine { kAuto, kVector16, kAvx2 };
// False, and nothing changed, when the machine cannot run `routine`.
bool ForcePatternRoutine(PatternRoutine routine);
// The routine in use now: kVector16 or kAvx2.
PatternRoutine CurrentPatternRoutine();

struct ScanStop {
  bool stopped;         // the scan ended before `end`: at a fault, a short read, or the match limit
  uint64_t resume;      // where a later scan of the rest of the range should start
  bool faulted;         // stopped at an address that could not be read: `resume` is that address
};

// Non-overlapping matches starting at or after `start` and ending at or before `end`, at most `max_matches` of
// them (then `resume` is the byte after the last match), appended to `matches`.
ScanStop ScanLocal(const Pattern& pattern, uint64_t start, uint64_t end, size_t max_matches,
                   std::vector<uint64_t>* matches);

// The same in process `pid`, read through process_vm_readv in windows that overlap by length - 1 bytes. EPERM,
// ESRCH and the like come back as the error; a byte the kernel refuses is a fault.
SystemCallResult ScanRemote(pid_t pid, const Pattern& pattern, uint64_t start, uint64_t end, size_t max_matches,
                            std::vector<uint64_t>* matches, ScanStop* stop);

}  // namespace memprobe
