#include "inspect/pattern_scan.h"

#include <string.h>

#include <algorithm>
#include <atomic>

#include "common/machine.h"
#include "memory/guard.h"
#include "memory/stack_gap.h"
#include "memory/syscall_copy.h"

namespace memprobe {

namespace {

// How likely a byte value is to be an anchor's false candidate in typical memory: zero and 0xff fill much of it.
int Commonness(uint8_t value) { return value == 0x00 ? 2 : value == 0xff ? 1 : 0; }

// The anchor: a byte with the most mask bits, preferring values that are rare in memory, then the first.
size_t ChooseAnchor(const uint8_t* bytes, const uint8_t* masks, size_t length) {
  size_t best = 0;
  for (size_t i = 1; i < length; i++) {
    const int bits = __builtin_popcount(masks[i]), best_bits = __builtin_popcount(masks[best]);
    if (bits > best_bits ||
        (bits == best_bits && Commonness(bytes[i] & masks[i]) < Commonness(bytes[best] & masks[best]))) {
      best = i;
    }
  }
  return best;
}

// The second byte of the AVX2 filter: of the others with a non-zero mask within kMaxPairDistance of the anchor,
// the one with the most mask bits, preferring values rare in memory, then the farthest (bytes far apart in a
// pattern are less alike in memory than neighbours). The anchor itself when it is the only one.
size_t ChooseSecond(const uint8_t* bytes, const uint8_t* masks, size_t length, size_t anchor) {
  size_t best = anchor;
  int best_bits = 0, best_commonness = 0;
  size_t best_distance = 0;
  const size_t first = anchor > kMaxPairDistance ? anchor - kMaxPairDistance : 0;
  const size_t last = std::min(length - 1, anchor + kMaxPairDistance);
  for (size_t i = first; i <= last; i++) {
    if (i == anchor || masks[i] == 0) continue;
    const int bits = __builtin_popcount(masks[i]), commonness = Commonness(bytes[i] & masks[i]);
    const size_t distance = i > anchor ? i - anchor : anchor - i;
    if (best == anchor || bits > best_bits || (bits == best_bits && commonness < best_commonness) ||
        (bits == best_bits && commonness == best_commonness && distance > best_distance)) {
      best = i;
      best_bits = bits;
      best_commonness = commonness;
      best_distance = distance;
    }
  }
  return best;
}

#if defined(__x86_64__)
using FindPattern = GuardedValue (*)(const uint8_t*, size_t, const PatternSpec*);
// Null until a routine is forced: the default is read from the machine at the call (g_machine is filled by
// another file's static initialiser, so it is not read here before main).
std::atomic<FindPattern> g_forced_find_pattern{nullptr};
FindPattern CurrentFindPattern() {
  const FindPattern forced = g_forced_find_pattern.load(std::memory_order_relaxed);
  if (forced != nullptr) return forced;
  return GetMachine().has_avx2 ? memprobe_find_pattern_avx2 : memprobe_find_pattern;
}
GuardedValue FindPatternFrom(const uint8_t* base, size_t starts, const PatternSpec* spec) {
  return CurrentFindPattern()(base, starts, spec);
}
#else
GuardedValue FindPatternFrom(const uint8_t* base, size_t starts, const PatternSpec* spec) {
  return memprobe_find_pattern(base, starts, spec);
}
#endif

// Appends the matches memprobe_find_pattern finds among the `starts` positions from `base` (which maps to
// `address`), never overlapping one another. Returns the offset reached: `starts` or past, or where it stopped.
struct Found {
  size_t offset;  // offset from base of the next position to search
  bool limited;   // stopped at max_matches
  uint64_t trap;  // non-zero: a load faulted at `fault`
  uint64_t fault;
};

Found FindAll(const Pattern& pattern, const uint8_t* base, uint64_t address, size_t starts, size_t max_matches,
              std::vector<uint64_t>* matches) {
  size_t offset = 0;
  while (offset < starts) {
    if (matches->size() >= max_matches) return Found{offset, true, 0, 0};
    const GuardedValue found = FindPatternFrom(base + offset, starts - offset, &pattern.spec());
    if (found.trap != 0) return Found{offset, false, found.trap, found.value};
    if (found.value == starts - offset) return Found{starts, false, 0, 0};
    matches->push_back(address + offset + found.value);
    offset += found.value + pattern.length();
  }
  return Found{offset, false, 0, 0};
}

}  // namespace

Pattern::Pattern(const uint8_t* bytes, const uint8_t* masks, size_t length) : pairs_(2 * length) {
  for (size_t i = 0; i < length; i++) {
    pairs_[2 * i] = masks[i];
    pairs_[2 * i + 1] = bytes[i] & masks[i];
  }
  memset(&spec_, 0, sizeof spec_);
  spec_.pairs = pairs_.data();
  spec_.length = length;
  spec_.anchor = ChooseAnchor(bytes, masks, length);
  memset(spec_.anchor_value, bytes[spec_.anchor] & masks[spec_.anchor], sizeof spec_.anchor_value);
  memset(spec_.anchor_mask, masks[spec_.anchor], sizeof spec_.anchor_mask);
  const size_t second = ChooseSecond(bytes, masks, length, spec_.anchor);
  const size_t near = std::min<size_t>(spec_.anchor, second), far = std::max<size_t>(spec_.anchor, second);
  spec_.near = near;
  spec_.distance = far - near;
  spec_.page_mask = GetMachine().page_size - 1;
  spec_.last_pair_offset = GetMachine().page_size - 64 - spec_.distance;
  spec_.near_value = bytes[near] & masks[near];
  spec_.near_mask = masks[near];
  spec_.far_value = bytes[far] & masks[far];
  spec_.far_mask = masks[far];
}

bool ForcePatternRoutine(PatternRoutine routine) {
#if defined(__x86_64__)
  if (routine == PatternRoutine::kAvx2 && !GetMachine().has_avx2) return false;
  const FindPattern forced = routine == PatternRoutine::kAvx2      ? memprobe_find_pattern_avx2
                             : routine == PatternRoutine::kVector16 ? memprobe_find_pattern
                                                                    : nullptr;
  g_forced_find_pattern.store(forced, std::memory_order_relaxed);
  return true;
#else
  return routine != PatternRoutine::kAvx2;
#endif
}

PatternRoutine CurrentPatternRoutine() {
#if defined(__x86_64__)
  return CurrentFindPattern() == memprobe_find_pattern_avx2 ? PatternRoutine::kAvx2 : PatternRoutine::kVector16;
#else
  return PatternRoutine::kVector16;
#endif
}

ScanStop ScanLocal(const Pattern& pattern, uint64_t start, uint64_t end, size_t max_matches,
                   std::vector<uint64_t>* matches) {
  GuardPrepareThread();
  const size_t length = pattern.length();
  // Nothing is loaded from the growable gap below [stack]: it ends the range like a page that faults.
  const uint64_t limit = start + StackGapLimit(start, end - start);
  max_matches += matches->size();
  if (limit - start >= length) {
    const Found found = FindAll(pattern, reinterpret_cast<const uint8_t*>(start), start, limit - start - length + 1,
                                max_matches, matches);
    if (found.limited) return ScanStop{true, start + found.offset, false};
    if (found.trap != 0) {
      // si_addr of an aligned block can lie before the first position searched, in the same page.
      return ScanStop{true, std::max<uint64_t>(found.fault, start + found.offset), true};
    }
  }
  if (limit < end) return ScanStop{true, limit, true};
  return ScanStop{false, end, false};
}

SystemCallResult ScanRemote(pid_t pid, const Pattern& pattern, uint64_t start, uint64_t end, size_t max_matches,
                            std::vector<uint64_t>* matches, ScanStop* stop) {
  constexpr size_t kWindow = size_t{1} << 20;
  GuardPrepareThread();  // the search runs memprobe_find_pattern over our own window
  const size_t length = pattern.length();
  std::vector<uint8_t> window(kWindow + length - 1);
  max_matches += matches->size();
  uint64_t position = start;
  while (end - position >= length) {
    const size_t wanted = std::min<uint64_t>(end - position, window.size());
    CopyFailure failure;
    const bool whole = ReadProcess(pid, window.data(), position, wanted, &failure);
    if (!whole && failure.error != 0) return SystemCallResult{0, failure.error, failure.syscall};
    const size_t got = whole ? wanted : failure.bytes_copied;
    // Positions whose match would end inside what was read; a full window leaves the last length - 1 bytes to
    // the next one, which starts there.
    const size_t starts = got < length ? 0 : whole && got == window.size() ? kWindow : got - length + 1;
    const Found found = FindAll(pattern, window.data(), position, starts, max_matches, matches);
    if (found.limited) {
      *stop = ScanStop{true, position + found.offset, false};
      return Succeeded();
    }
    if (!whole) {
      *stop = ScanStop{true, position + got, true};
      return Succeeded();
    }
    position += std::max(found.offset, starts);
    if (got < window.size()) break;  // the last window reached `end`
  }
  *stop = ScanStop{false, end, false};
  return Succeeded();
}

}  // namespace memprobe
