#include "memory/signal_copy.h"

#include <string.h>

#include <algorithm>

#include "memory/forward_copy.h"
#include "memory/guard.h"
#include "common/machine.h"

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
size_t PieceLength(const uint8_t* dst, const uint8_t* src, size_t offset, size_t end) {
  return std::min({end - offset, BytesToPageEnd(reinterpret_cast<uintptr_t>(src + offset)),
                   BytesToPageEnd(reinterpret_cast<uintptr_t>(dst + offset))});
}

bool Overlaps(const uint8_t* dst, const uint8_t* src, size_t length) {
  return dst < src + length && src < dst + length;
}

Fault MakeFault(int signo, int code, bool reading, const uint8_t* dst, const uint8_t* src, size_t offset) {
  const uintptr_t base = reading ? reinterpret_cast<uintptr_t>(src) : reinterpret_cast<uintptr_t>(dst);
  return Fault{FaultKindFromSignal(signo, code), signo, reading ? Access::kRead : Access::kWrite, base + offset};
}

bool FaultAt(const GuardFrame& frame, const Progress& progress, uint8_t* dst, const uint8_t* src,
             CopyFailure* failure) {
  const size_t offset = progress.offset;
  return Faulted(failure, offset,
                 MakeFault(frame.trap.signo, frame.trap.code, progress.phase == kReadingSource, dst, src, offset));
}

// Copies [from, to) in page-bounded pieces, touching each source piece before writing: a fault while touching
// is a read fault, any later one a write fault, and the offset reached is the exact prefix. True when all of
// [from, to) was copied.
bool ExactCopy(uint8_t* dst, const uint8_t* src, size_t length, size_t from, size_t to, CopyFailure* failure) {
  GuardFrame frame(src, dst, length);
  Progress progress{from, kReadingSource};
  const bool completed = GuardRun(frame, [&] {
    for (size_t offset = progress.offset; offset < to;) {
      const size_t piece = PieceLength(dst, src, offset, to);
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
  return completed || FaultAt(frame, progress, dst, src, failure);
}

// Overlapping ranges need memmove, which may copy backwards: learn the prefix first by touching every piece
// (a read of the source, a no-op write of the destination), then move exactly that prefix. Kept out of line,
// like the fault path below, so the no-fault path carries no large frame.
__attribute__((noinline, cold)) bool OverlappingCopy(uint8_t* dst, const uint8_t* src, size_t length, CopyFailure* failure) {
  GuardFrame probe(src, dst, length);
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
  GuardFrame move(src, dst, length);
  if (!GuardRun(move, [&] { memmove(dst, src, prefix); })) {
    return ExactCopy(dst, src, length, 0, length, failure);  // the map changed under us: the prefix stays exact
  }
  return all_accessible || FaultAt(probe, progress, dst, src, failure);
}

// The fast pass faulted at `trap_address`. That page is unreachable on its side, so the prefix ends at the
// page's first byte at the latest; the pass moved forward in blocks far smaller than `margin`, so everything
// well before the fault is already copied. The exact pass only has to cover the bytes in between (on both
// sides: the other side may hold a bad page there), and usually ends without a second fault.
__attribute__((noinline, cold)) bool FinishAfterFastFault(uint8_t* dst, const uint8_t* src, size_t length, const ForwardCopyResult& fast,
                          CopyFailure* failure) {
  const uintptr_t address = fast.address;
  const bool reading = address - reinterpret_cast<uintptr_t>(src) < length;
  const bool writing = !reading && address - reinterpret_cast<uintptr_t>(dst) < length;
  if (!reading && !writing) {
    return ExactCopy(dst, src, length, 0, length, failure);  // a non-canonical access reports no address
  }
  const uintptr_t base = reading ? reinterpret_cast<uintptr_t>(src) : reinterpret_cast<uintptr_t>(dst);
  const size_t fault_offset = address - base;
  const size_t end = PageFloor(address) > base ? PageFloor(address) - base : 0;
  const size_t margin = 2 * GetMachine().page_size;
  const size_t resume = std::min(end, fault_offset > margin ? fault_offset - margin : 0);
  if (!ExactCopy(dst, src, length, resume, end, failure)) return false;
  return Faulted(failure, end, MakeFault(TrapSignal(fast.trap), TrapCode(fast.trap), reading, dst, src, end));
}

}  // namespace

bool SignalCopy(uint8_t* dst, const uint8_t* src, size_t length, CopyFailure* failure) {
  GuardPrepareThread();
  if (Overlaps(dst, src, length)) return OverlappingCopy(dst, src, length, failure);
  const ForwardCopyResult fast = memprobe_forward_copy(dst, src, length, GetMachine().has_erms);
  return fast.trap == 0 || FinishAfterFastFault(dst, src, length, fast, failure);
}

}  // namespace memprobe
