#include "signal_copy.h"

#include <signal.h>
#include <string.h>

#include <algorithm>

#include "forward_copy.h"
#include "guard.h"
#include "machine.h"

namespace memprobe {

namespace {

enum Phase : int { kReadingSource, kWritingDestination };

// Where an exact pass stands; volatile because the guard may jump out between any two of its updates.
struct Progress {
  volatile size_t offset;
  volatile int phase;
};

inline void Barrier() { __asm__ volatile("" ::: "memory"); }

inline void TouchRead(const uint8_t* p) { (void)*static_cast<const volatile uint8_t*>(p); }

// A write access that changes nothing, even with other threads writing the same byte.
inline void TouchWrite(uint8_t* p) { __asm__ volatile("lock orb $0, (%0)" : : "r"(p) : "memory"); }

// The longest piece from `offset` that stays inside one source page and one destination page: such a piece
// is copied entirely or not at all.
size_t PieceLength(const uint8_t* dst, const uint8_t* src, size_t offset, size_t length) {
  return std::min({length - offset, BytesToPageEnd(reinterpret_cast<uintptr_t>(src + offset)),
                   BytesToPageEnd(reinterpret_cast<uintptr_t>(dst + offset))});
}

bool Overlaps(const uint8_t* dst, const uint8_t* src, size_t length) {
  return dst < src + length && src < dst + length;
}

CopyOutcome FaultAt(const GuardFrame& frame, const Progress& progress, uint8_t* dst, const uint8_t* src) {
  const size_t offset = progress.offset;
  const bool reading = progress.phase == kReadingSource;
  const uintptr_t base = reading ? reinterpret_cast<uintptr_t>(src) : reinterpret_cast<uintptr_t>(dst);
  return CopyFaulted(offset, Fault{FaultKindFromSignal(frame.trap.signo, frame.trap.code), frame.trap.signo,
                                   reading ? Access::kRead : Access::kWrite, base + offset});
}

// Copies page-bounded pieces from `from`, touching each source piece before writing: a fault while touching
// is a read fault, any later one a write fault, and the offset reached is the exact prefix.
CopyOutcome ExactCopy(uint8_t* dst, const uint8_t* src, size_t length, size_t from) {
  GuardFrame frame;
  frame.Accept(0, src, length);
  frame.Accept(1, dst, length);
  Progress progress{from, kReadingSource};
  const bool completed = GuardRun(frame, [&] {
    for (size_t offset = progress.offset; offset < length;) {
      const size_t piece = PieceLength(dst, src, offset, length);
      progress.phase = kReadingSource;
      Barrier();
      TouchRead(src + offset);
      progress.phase = kWritingDestination;
      Barrier();
      memmove(dst + offset, src + offset, piece);
      Barrier();
      offset += piece;
      progress.offset = offset;
    }
  });
  return completed ? CopySucceeded(length) : FaultAt(frame, progress, dst, src);
}

// Overlapping ranges need memmove, which may copy backwards: learn the prefix first by touching every piece
// (a read of the source, a no-op write of the destination), then move exactly that prefix.
CopyOutcome OverlappingCopy(uint8_t* dst, const uint8_t* src, size_t length) {
  GuardFrame probe;
  probe.Accept(0, src, length);
  probe.Accept(1, dst, length);
  Progress progress{0, kReadingSource};
  const bool all_accessible = GuardRun(probe, [&] {
    for (size_t offset = 0; offset < length;) {
      progress.phase = kReadingSource;
      Barrier();
      TouchRead(src + offset);
      progress.phase = kWritingDestination;
      Barrier();
      TouchWrite(dst + offset);
      Barrier();
      offset += PieceLength(dst, src, offset, length);
      progress.offset = offset;
    }
  });
  const size_t prefix = all_accessible ? length : progress.offset;
  GuardFrame move;
  move.Accept(0, src, length);
  move.Accept(1, dst, length);
  if (!GuardRun(move, [&] { memmove(dst, src, prefix); })) {
    return ExactCopy(dst, src, length, 0);  // the map changed under us: the prefix stays exact, the bytes not
  }
  return all_accessible ? CopySucceeded(length) : FaultAt(probe, progress, dst, src);
}

// After a fault in the fast pass, everything well before the faulting offset has been copied (the loop moves
// forward in blocks far smaller than this margin), so the exact pass can start there instead of at 0.
size_t ResumeOffset(const GuardTrap& trap, const uint8_t* dst, const uint8_t* src, size_t length) {
  const size_t margin = 2 * GetMachine().page_size;
  size_t offset;
  if (trap.address - reinterpret_cast<uintptr_t>(src) < length) {
    offset = trap.address - reinterpret_cast<uintptr_t>(src);
  } else if (trap.address - reinterpret_cast<uintptr_t>(dst) < length) {
    offset = trap.address - reinterpret_cast<uintptr_t>(dst);
  } else {
    return 0;  // no address (a non-canonical access): start over
  }
  return offset > margin ? offset - margin : 0;
}

}  // namespace

CopyOutcome SignalCopy(uint8_t* dst, const uint8_t* src, size_t length) {
  GuardPrepareThread();
  if (Overlaps(dst, src, length)) return OverlappingCopy(dst, src, length);
  const bool has_erms = GetMachine().has_erms;
  GuardFrame frame;
  frame.Accept(0, src, length);
  frame.Accept(1, dst, length);
  if (GuardRun(frame, [&] { ForwardCopy(dst, src, length, has_erms); })) return CopySucceeded(length);
  return ExactCopy(dst, src, length, ResumeOffset(frame.trap, dst, src, length));
}

}  // namespace memprobe
