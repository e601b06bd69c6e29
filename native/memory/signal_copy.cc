#include "memory/signal_copy.h"

#include <signal.h>

#include <algorithm>

#include "common/machine.h"
#include "memory/arch.h"
#include "memory/forward_copy.h"
#include "memory/guard.h"
#include "memory/guarded_access.h"

namespace memprobe {

namespace {

// Every access here is one of the assembly routines (forward_copy.h, guarded_access.h): a fault comes back as
// their result, so no code in this file can be interrupted by a jump and nothing needs to be volatile.

bool Trapped(const GuardedResult& result) { return result.trap != 0; }

// A fault whose si_addr says nothing: x86-64's non-canonical access (SI_KERNEL, si_addr 0), or an address the
// kernel did not report inside either side (aarch64 under qemu past the user space: si_addr 0).
bool AddressUnknown(const GuardedResult& result, const uint8_t* dst, const uint8_t* src, size_t length) {
  if (arch::IsNonCanonicalTrap(TrapSignal(result.trap), TrapCode(result.trap))) return true;
  const uintptr_t at = arch::Comparable(result.address);
  return at - arch::Comparable(reinterpret_cast<uintptr_t>(src)) >= length &&
         at - arch::Comparable(reinterpret_cast<uintptr_t>(dst)) >= length;
}

// si_addr's offset from `base`, with the tag bits (aarch64) left out on both sides.
uintptr_t OffsetFrom(const GuardedResult& result, const void* base) {
  return arch::Comparable(result.address) - arch::Comparable(reinterpret_cast<uintptr_t>(base));
}

// The longest piece from `offset` that stays inside one source page and one destination page: such a piece
// is copied entirely or not at all.
size_t PieceLength(const uint8_t* dst, const uint8_t* src, size_t offset, size_t end) {
  return std::min({end - offset, BytesToPageEnd(reinterpret_cast<uintptr_t>(src + offset)),
                   BytesToPageEnd(reinterpret_cast<uintptr_t>(dst + offset))});
}

bool Overlaps(const uint8_t* dst, const uint8_t* src, size_t length) {
  return dst < src + length && src < dst + length;
}

// A fault at `offset` of the copy, on the side `access` says. The address is always the requested byte,
// never si_addr (0 for a non-canonical access).
bool FaultedAt(CopyFailure* failure, const GuardedResult& trap, Access access, const uint8_t* dst,
               const uint8_t* src, size_t offset) {
  const uintptr_t base = access == Access::kRead ? reinterpret_cast<uintptr_t>(src) : reinterpret_cast<uintptr_t>(dst);
  const int signo = TrapSignal(trap.trap);
  return Faulted(failure, offset, Fault{FaultKindFromSignal(signo, TrapCode(trap.trap)), signo, access, base + offset});
}

// At `offset`, which side cannot be accessed? The read wins a tie. True, with `failure` filled, when one of
// them cannot; false when both can.
bool FaultAtOffset(uint8_t* dst, const uint8_t* src, size_t offset, CopyFailure* failure) {
  const GuardedResult read = memprobe_touch_read(src + offset);
  if (Trapped(read)) {
    FaultedAt(failure, read, Access::kRead, dst, src, offset);
    return true;
  }
  const GuardedResult write = memprobe_touch_write(dst + offset);
  if (Trapped(write)) {
    FaultedAt(failure, write, Access::kWrite, dst, src, offset);
    return true;
  }
  return false;
}

// Copies [from, to) in page-bounded pieces, reading the first byte of each source piece before writing: a
// fault while reading is a read fault, a fault while copying the piece a write fault (its source page was just
// read), and the offset reached is the exact prefix. True when all of [from, to) was copied. Forward only:
// for dst above an overlapping src the caller accepts that the overlapping bytes are unspecified.
bool ExactCopy(uint8_t* dst, const uint8_t* src, size_t from, size_t to, CopyFailure* failure) {
  const int use_rep_movsb = arch::UseFastStringCopy();
  for (size_t offset = from; offset < to;) {
    const size_t piece = PieceLength(dst, src, offset, to);
    const GuardedResult read = memprobe_touch_read(src + offset);
    if (Trapped(read)) return FaultedAt(failure, read, Access::kRead, dst, src, offset);
    const GuardedResult copy = memprobe_forward_copy(dst + offset, src + offset, piece, use_rep_movsb);
    if (Trapped(copy)) {
      // The source page was readable a moment ago; unless the map changed since, this is the destination.
      const bool source_changed =
          !AddressUnknown(copy, dst + offset, src + offset, piece) && OffsetFrom(copy, src + offset) < piece;
      return FaultedAt(failure, copy, source_changed ? Access::kRead : Access::kWrite, dst, src, offset);
    }
    offset += piece;
  }
  return true;
}

// Overlapping ranges: learn the prefix first by touching every piece (a read of the source, then a no-op write
// of the destination: the read wins a tie), then move exactly that prefix in the direction memmove would.
__attribute__((noinline, cold)) bool OverlappingCopy(uint8_t* dst, const uint8_t* src, size_t length,
                                                     CopyFailure* failure) {
  size_t prefix = 0;
  CopyFailure fault;
  bool faulted = false;
  while (prefix < length) {
    if (FaultAtOffset(dst, src, prefix, &fault)) {
      faulted = true;
      break;
    }
    prefix += PieceLength(dst, src, prefix, length);
  }
  const GuardedResult moved = dst <= src ? memprobe_forward_copy(dst, src, prefix, arch::UseFastStringCopy())
                                         : memprobe_backward_copy(dst, src, prefix);
  if (Trapped(moved)) {
    return ExactCopy(dst, src, 0, length, failure);  // the map changed under us: the prefix stays exact
  }
  if (!faulted) return true;
  *failure = fault;
  return false;
}

// Where the fast pass's fault says the prefix ends at the latest, and on which side.
struct FastFault {
  size_t end;
  bool known;    // the kernel named a page: `side` cannot be accessed at `end`
  Access side;
};

// At the first byte of the page the kernel named, on its side. A fault without a usable address (x86-64's
// non-canonical access, aarch64's past the user space under qemu): the first byte of either side outside the
// user space is only a hint there, and the touches at `end` decide.
FastFault Locate(const uint8_t* dst, const uint8_t* src, size_t length, const ForwardCopyResult& fast) {
  const uintptr_t s = reinterpret_cast<uintptr_t>(src);
  const uintptr_t d = reinterpret_cast<uintptr_t>(dst);
  if (AddressUnknown(fast, dst, src, length)) {
    const size_t hint = std::min(arch::FirstOutsideUserSpace(s, length), arch::FirstOutsideUserSpace(d, length));
    return FastFault{hint < length ? hint : 0, false, Access::kRead};  // no hint at all: exactly from the start
  }
  const bool reading = OffsetFrom(fast, src) < length;
  const uintptr_t base = arch::Comparable(reading ? s : d);
  const uintptr_t page = PageFloor(arch::Comparable(fast.address));
  const size_t end = page > base ? page - base : 0;
  return FastFault{end, true, reading ? Access::kRead : Access::kWrite};
}

// The fast pass moved forward in blocks far smaller than `margin`, so everything well before the fault is
// already copied. The exact pass covers the bytes in between on both sides (the other side may hold a bad
// page there); at the end it found, a write fault still loses to a read fault at the same offset.
__attribute__((noinline, cold)) bool FinishAfterFastFault(uint8_t* dst, const uint8_t* src, size_t length,
                                                          const ForwardCopyResult& fast, CopyFailure* failure) {
  const FastFault at = Locate(dst, src, length, fast);
  const size_t end = std::min(at.end, length);
  const size_t margin = 2 * GetMachine().page_size;
  const size_t resume = end > margin ? end - margin : 0;
  if (!ExactCopy(dst, src, resume, end, failure)) return false;
  if (end == length) return true;
  if (at.known) {
    if (at.side == Access::kWrite) {
      const GuardedResult read = memprobe_touch_read(src + end);
      if (Trapped(read)) return FaultedAt(failure, read, Access::kRead, dst, src, end);
    }
    return FaultedAt(failure, fast, at.side, dst, src, end);
  }
  if (FaultAtOffset(dst, src, end, failure)) return false;
  // Both sides are accessible at `end` after all (5-level paging): go on exactly.
  return ExactCopy(dst, src, end, length, failure);
}

}  // namespace

bool SignalCopy(uint8_t* dst, const uint8_t* src, size_t length, CopyFailure* failure) {
  GuardPrepareThread();
  if (Overlaps(dst, src, length)) return OverlappingCopy(dst, src, length, failure);
  const ForwardCopyResult fast = memprobe_forward_copy(dst, src, length, arch::UseFastStringCopy());
  return fast.trap == 0 || FinishAfterFastFault(dst, src, length, fast, failure);
}

}  // namespace memprobe
