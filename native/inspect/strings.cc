#include "inspect/strings.h"

#include <signal.h>
#include <string.h>

#include <algorithm>

#include "common/machine.h"
#include "memory/arch.h"
#include "inspect/inspect_access.h"
#include "memory/copy.h"
#include "memory/forward_copy.h"
#include "memory/guard.h"
#include "memory/stack_gap.h"
#include "memory/syscall_copy.h"

namespace memprobe {

uint8_t* ByteSink::Reserve(size_t count) {
  if (heap_.empty()) {
    if (size_ + count <= kInline) return inline_ + size_;
    heap_.resize(std::max(size_ + count, 2 * kInline));
    memcpy(heap_.data(), inline_, size_);
  } else if (size_ + count > heap_.size()) {
    heap_.resize(std::max(size_ + count, 2 * heap_.size()));
  }
  return heap_.data() + size_;
}

namespace {

StringRead Done(size_t bytes) { return StringRead{bytes, false, Fault{}}; }

// The read stopped at `at`, the first byte of a piece inside one page: nothing of that page could be read.
StringRead FaultedAt(size_t bytes, uintptr_t at, uint64_t trap) {
  const int signo = TrapSignal(trap);
  return StringRead{bytes, true, Fault{FaultKindFromSignal(signo, TrapCode(trap)), signo, Access::kRead, at}};
}

// A page in the growable gap below [stack] is reported as the copy reports it: nothing mapped there.
StringRead InStackGap(size_t bytes, uintptr_t at) {
  return StringRead{bytes, true, Fault{FaultKind::kSegvMaperr, SIGSEGV, Access::kRead, at}};
}

// The piece of [offset, limit) from `address + offset` to the end of its page.
size_t PieceAt(uintptr_t address, size_t offset, size_t limit) {
  return std::min(limit - offset, BytesToPageEnd(address + offset));
}

// Copies a piece that lies in one page (known readable a moment ago) into the sink.
bool CopyPiece(uintptr_t at, size_t length, ByteSink* sink, uint64_t* trap) {
  uint8_t* dst = sink->Reserve(length);
  const ForwardCopyResult copied =
      memprobe_forward_copy(dst, reinterpret_cast<const uint8_t*>(at), length, arch::UseFastStringCopy());
  *trap = copied.trap;
  if (copied.trap != 0) return false;
  sink->Commit(length);
  return true;
}

}  // namespace

StringRead ReadCString(uintptr_t address, size_t limit, ByteSink* sink) {
  GuardPrepareThread();
  for (size_t offset = 0; offset < limit;) {
    const uintptr_t at = address + offset;
    const size_t piece = PieceAt(address, offset, limit);
    if (StackGapLimit(at, piece) < piece) return InStackGap(offset, at);
    const GuardedValue length = memprobe_string_length(reinterpret_cast<const uint8_t*>(at), piece);
    if (length.trap != 0) return FaultedAt(offset, at, length.trap);
    uint64_t trap = 0;
    if (length.value > 0 && !CopyPiece(at, length.value, sink, &trap)) return FaultedAt(offset, at, trap);
    if (length.value < piece) return Done(offset + length.value);
    offset += piece;
  }
  return Done(limit);
}

StringRead ReadBytes(uintptr_t address, size_t length, ByteSink* sink) {
  CopyFailure failure;
  const CopyRequest request{Endpoint{reinterpret_cast<uintptr_t>(sink->Reserve(length)), true},
                            Endpoint{address, false}, length, Strategy::kSignal, 0};
  if (CopyMemory(request, &failure)) {
    sink->Commit(length);
    return Done(length);
  }
  sink->Commit(failure.bytes_copied);
  return StringRead{failure.bytes_copied, true, failure.fault};
}

StringRead ReadUtf16(uintptr_t address, size_t limit, ByteSink* sink) {
  GuardPrepareThread();
  const size_t byte_limit = limit * 2;
  for (size_t offset = 0; offset < byte_limit;) {
    const uintptr_t at = address + offset;
    const size_t piece = PieceAt(address, offset, byte_limit);
    if (StackGapLimit(at, piece) < piece) return InStackGap(offset, at);
    uint64_t trap = 0;
    if (!CopyPiece(at, piece, sink, &trap)) return FaultedAt(offset, at, trap);
    // Look for a zero unit among the units this piece completed (a unit may straddle two pieces).
    const uint8_t* bytes = sink->data();
    for (size_t unit = offset / 2; unit < (offset + piece) / 2; unit++) {
      if (bytes[2 * unit] == 0 && bytes[2 * unit + 1] == 0) {
        sink->Truncate(2 * unit);
        return Done(2 * unit);
      }
    }
    offset += piece;
  }
  return Done(byte_limit);
}

namespace {

// The most pages one batch of a remote string read asks for: past the first few, a longer batch saves little.
constexpr size_t kMaxBatchPages = 64;

// Where the first terminator of `unit` bytes (1 or 2) lies among the bytes [from, to) of the sink, counted from
// the string's start: units are at even offsets, and one may straddle the previous batch. `to` if none.
size_t TerminatorIn(const ByteSink& sink, size_t from, size_t to, size_t unit) {
  const uint8_t* bytes = sink.data();
  if (unit == 1) {
    const void* nul = memchr(bytes + from, 0, to - from);
    return nul == nullptr ? to : static_cast<size_t>(static_cast<const uint8_t*>(nul) - bytes);
  }
  for (size_t index = from / 2; index < to / 2; index++) {
    if (bytes[2 * index] == 0 && bytes[2 * index + 1] == 0) return 2 * index;
  }
  return to;
}

// Bytes up to a terminator of `unit` bytes, at most `byte_limit` of them, in batches of whole pages.
bool ReadRemoteTerminated(pid_t pid, uintptr_t address, size_t byte_limit, size_t unit, ByteSink* sink,
                          StringRead* read, CopyFailure* failure) {
  const size_t page = GetMachine().page_size;
  size_t pages = 1;
  for (size_t offset = 0; offset < byte_limit; pages = std::min(2 * pages, kMaxBatchPages)) {
    const uintptr_t at = address + offset;
    const size_t want = std::min(byte_limit - offset, BytesToPageEnd(at) + (pages - 1) * page);
    const bool whole = ReadProcessPages(pid, sink->Reserve(want), at, want, failure);
    if (!whole && failure->error != 0) return false;
    const size_t got = whole ? want : failure->bytes_copied;
    sink->Commit(got);
    const size_t end = TerminatorIn(*sink, offset, offset + got, unit);
    if (end < offset + got) {
      sink->Truncate(end);
      *read = Done(end);
      return true;
    }
    offset += got;
    if (!whole) {
      *read = StringRead{offset, true, failure->fault};
      return true;
    }
  }
  *read = Done(byte_limit);
  return true;
}

}  // namespace

bool ReadProcessString(pid_t pid, StringKind kind, uintptr_t address, size_t limit, ByteSink* sink, StringRead* read,
                       CopyFailure* failure) {
  // An empty read reads nothing, but a process this one may not read, or one that is gone, is still an error.
  if (limit == 0) {
    *read = Done(0);
    const int error = CheckProcessAccess(pid, false);
    return error == 0 || Failed(failure, error, "process_vm_readv");
  }
  switch (kind) {
    case StringKind::kCString:
      return ReadRemoteTerminated(pid, address, limit, 1, sink, read, failure);
    case StringKind::kUtf16:
      return ReadRemoteTerminated(pid, address, limit * 2, 2, sink, read, failure);
    case StringKind::kBytes:
      break;
  }
  if (ReadProcess(pid, sink->Reserve(limit), address, limit, failure)) {
    sink->Commit(limit);
    *read = Done(limit);
    return true;
  }
  if (failure->error != 0) return false;
  sink->Commit(failure->bytes_copied);
  *read = StringRead{failure->bytes_copied, true, failure->fault};
  return true;
}

}  // namespace memprobe
