#include "memory/syscall_copy.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>

#include "common/machine.h"
#include "memory/stack_gap.h"

namespace memprobe {

namespace {

// This process's pid, without a getpid() system call per copy; refreshed in the child after a fork.
pid_t g_self = getpid();
const int g_self_refresh = pthread_atfork(nullptr, nullptr, [] { g_self = getpid(); });

// The kernel moves at most MAX_RW_COUNT bytes per call.
constexpr size_t kMaxPerCall = 0x7ffff000;

enum class Direction { kRead, kWrite };  // readv: remote -> local; writev: local -> remote

struct Transfer {
  size_t copied;
  bool faulted;  // stopped at `copied` on EFAULT
  int error;     // another errno
};

ssize_t VmCall(Direction direction, pid_t pid, uintptr_t local, uintptr_t remote, size_t length) {
  struct iovec local_iov = {reinterpret_cast<void*>(local), length};
  struct iovec remote_iov = {reinterpret_cast<void*>(remote), length};
  return direction == Direction::kRead ? process_vm_readv(pid, &local_iov, 1, &remote_iov, 1, 0)
                                       : process_vm_writev(pid, &local_iov, 1, &remote_iov, 1, 0);
}

// Moves `length` bytes with as few calls as possible and finds the exact end of what can be moved: a call
// that fails on a piece inside one page of each side proves the prefix ends there. Partial results and
// failures of larger calls shrink the next call (halving), successes grow it back, so a fault costs O(log n)
// calls and the fault-free path exactly one per kMaxPerCall bytes.
Transfer MoveExact(Direction direction, pid_t pid, uintptr_t local, uintptr_t remote, size_t length) {
  size_t offset = 0;
  size_t step = kMaxPerCall;
  while (offset < length) {
    const size_t piece = std::min(BytesToPageEnd(local + offset), BytesToPageEnd(remote + offset));
    const size_t attempt = std::min({length - offset, std::max(step, piece), kMaxPerCall});
    const ssize_t moved = VmCall(direction, pid, local + offset, remote + offset, attempt);
    if (moved > 0) {
      offset += static_cast<size_t>(moved);
      // A short result: the kernel most likely stopped at a bad page, so try the next piece alone.
      step = static_cast<size_t>(moved) == attempt ? attempt * 2 : 0;
      continue;
    }
    if (moved < 0 && errno != EFAULT) return Transfer{offset, false, errno};
    if (attempt <= piece) return Transfer{offset, true, 0};
    step = attempt / 2;
  }
  return Transfer{length, false, 0};
}

Fault EfaultAt(Access access, uintptr_t address) { return Fault{FaultKind::kEfault, 0, access, address}; }

bool ReadableHere(uintptr_t address) {
  uint8_t byte;
  return VmCall(Direction::kRead, g_self, reinterpret_cast<uintptr_t>(&byte), address, 1) == 1;
}

// process_vm_readv takes any thread id as well as a process id: a thread of ours names this process too.
bool IsThisProcess(pid_t pid) { return pid == g_self || syscall(SYS_tgkill, g_self, pid, 0) == 0; }

bool FromTransfer(const Transfer& transfer, const char* syscall, Fault fault, CopyFailure* failure) {
  if (transfer.error != 0) return Failed(failure, transfer.error, syscall);
  return !transfer.faulted || Faulted(failure, transfer.copied, fault);
}

// Overlapping ranges move through a window of scratch memory on the stack, piece by piece: never a mapping
// sized by the request, so no limit on address space or commit charge (ulimit -v, overcommit_memory=2) can
// turn a fault into an error.
constexpr size_t kWindow = 64 * 1024;

struct Window {
  alignas(64) uint8_t bytes[kWindow];  // a cache line: the window never faults, whatever its pages
  uintptr_t address() { return reinterpret_cast<uintptr_t>(bytes); }
};

// Destination below the source: each piece of the source is read whole before its destination is written, and
// those writes land below the source bytes still to be read, so moving forward is memmove and exact: the
// first piece that stops short ends the copy where it stopped (the read is reported when both sides stop at
// the same byte, since nothing past a short read is written).
bool ForwardThroughWindow(uintptr_t d, uintptr_t s, size_t length, Window& window, CopyFailure* failure) {
  for (size_t offset = 0; offset < length; offset += kWindow) {
    const size_t piece = std::min(kWindow, length - offset);
    const Transfer read = MoveExact(Direction::kRead, g_self, window.address(), s + offset, piece);
    if (read.error != 0) return Failed(failure, read.error, "process_vm_readv");
    const Transfer written = MoveExact(Direction::kWrite, g_self, window.address(), d + offset, read.copied);
    if (written.error != 0) return Failed(failure, written.error, "process_vm_writev");
    if (written.faulted) {
      return Faulted(failure, offset + written.copied, EfaultAt(Access::kWrite, d + offset + written.copied));
    }
    if (read.faulted) return Faulted(failure, offset + read.copied, EfaultAt(Access::kRead, s + offset + read.copied));
  }
  return true;
}

// Destination above the source: memmove goes backwards, so the prefix must be known before anything moves.
// The probe reads each piece of the source, then reads the destination bytes under it and writes them back
// unchanged; both stop exactly where the kernel refuses. Every byte written back lies inside the prefix,
// which the move then overwrites anyway.
bool BackwardThroughWindow(uintptr_t d, uintptr_t s, size_t length, Window& window, CopyFailure* failure) {
  size_t prefix = length;
  Fault fault{};
  for (size_t offset = 0; offset < length; offset += kWindow) {
    const size_t piece = std::min(kWindow, length - offset);
    const Transfer read = MoveExact(Direction::kRead, g_self, window.address(), s + offset, piece);
    if (read.error != 0) return Failed(failure, read.error, "process_vm_readv");
    const Transfer peek = MoveExact(Direction::kRead, g_self, window.address(), d + offset, read.copied);
    if (peek.error != 0) return Failed(failure, peek.error, "process_vm_readv");
    // Linux has no write-only pages (x86-64, aarch64): a destination byte that cannot be read cannot be written.
    const Transfer back = MoveExact(Direction::kWrite, g_self, window.address(), d + offset, peek.copied);
    if (back.error != 0) return Failed(failure, back.error, "process_vm_writev");
    if (back.copied < read.copied) {
      prefix = offset + back.copied;
      fault = EfaultAt(Access::kWrite, d + prefix);
      break;
    }
    if (read.faulted) {
      prefix = offset + read.copied;
      fault = EfaultAt(Access::kRead, s + prefix);
      break;
    }
  }
  for (size_t end = prefix; end > 0;) {
    const size_t piece = std::min(kWindow, end);
    const size_t start = end - piece;
    const Transfer read = MoveExact(Direction::kRead, g_self, window.address(), s + start, piece);
    const Transfer written = read.copied == piece && read.error == 0
                                 ? MoveExact(Direction::kWrite, g_self, window.address(), d + start, piece)
                                 : Transfer{0, false, read.error};
    if (written.copied != piece || written.error != 0) {
      // The memory map changed under the copy: a forward pass still finds the exact prefix (the overlapping
      // bytes of the destination are then unspecified, as documented).
      if (read.error != 0) return Failed(failure, read.error, "process_vm_readv");
      if (written.error != 0) return Failed(failure, written.error, "process_vm_writev");
      return ForwardThroughWindow(d, s, length, window, failure);
    }
    end = start;
  }
  return prefix == length || Faulted(failure, prefix, fault);
}

__attribute__((noinline, cold)) bool OverlappingCopy(uint8_t* dst, const uint8_t* src, size_t length,
                                                     CopyFailure* failure) {
  Window window;
  // Touched from its top down, a page at a time, as -fstack-clash-protection would: on a thread whose stack is
  // nearly used up, this meets the guard page instead of having the kernel write past it.
  for (size_t offset = kWindow; offset > 0; offset -= GetMachine().page_size) {
    static_cast<volatile uint8_t*>(window.bytes)[offset - 1] = 0;
  }
  const uintptr_t d = reinterpret_cast<uintptr_t>(dst);
  const uintptr_t s = reinterpret_cast<uintptr_t>(src);
  return d < s ? ForwardThroughWindow(d, s, length, window, failure)
               : BackwardThroughWindow(d, s, length, window, failure);
}

}  // namespace

bool SyscallCopy(uint8_t* dst, const uint8_t* src, size_t length, SyscallSides sides, CopyFailure* failure) {
  const uintptr_t d = reinterpret_cast<uintptr_t>(dst);
  const uintptr_t s = reinterpret_cast<uintptr_t>(src);
  if (d < s + length && s < d + length) return OverlappingCopy(dst, src, length, failure);
  // The call cannot say which side it refused, so a fault asks whether the source byte is readable: if not, the
  // read is reported (it also wins a tie). JavaScript-owned memory is no exception: a resizable ArrayBuffer
  // that shrinks while an async copy runs has its released pages made inaccessible.
  if (sides.src_owned && !sides.dst_owned) {
    const Transfer t = MoveExact(Direction::kWrite, g_self, s, d, length);
    const bool read_side = t.faulted && !ReadableHere(s + t.copied);
    return FromTransfer(t, "process_vm_writev",
                        EfaultAt(read_side ? Access::kRead : Access::kWrite, (read_side ? s : d) + t.copied), failure);
  }
  const Transfer t = MoveExact(Direction::kRead, g_self, d, s, length);
  const bool read_side = !t.faulted || !ReadableHere(s + t.copied);
  return FromTransfer(t, "process_vm_readv",
                      EfaultAt(read_side ? Access::kRead : Access::kWrite, (read_side ? s : d) + t.copied), failure);
}

// How much of [remote, remote + length) may be moved: all of it, except that this process through its pid
// stops before the gap below [stack] (kernels before 6.5 let process_vm_readv/writev expand it), as a copy
// without a pid does. The range is compared with our gap first (two comparisons), so only a transfer that would
// stop there asks whose process it is.
size_t GapFreeLength(pid_t pid, uintptr_t remote, size_t length) {
  const size_t gap_limit = StackGapLimit(remote, length);
  return gap_limit < length && IsThisProcess(pid) ? gap_limit : length;
}

bool ReadProcess(pid_t pid, uint8_t* local, uintptr_t remote, size_t length, CopyFailure* failure) {
  const size_t limit = GapFreeLength(pid, remote, length);
  const Transfer t = MoveExact(Direction::kRead, pid, reinterpret_cast<uintptr_t>(local), remote, limit);
  if (t.error == 0 && !t.faulted && limit < length) {
    return Faulted(failure, limit, EfaultAt(Access::kRead, remote + limit));
  }
  return FromTransfer(t, "process_vm_readv", EfaultAt(Access::kRead, remote + t.copied), failure);
}

bool WriteProcess(pid_t pid, uintptr_t remote, const uint8_t* local, size_t length, CopyFailure* failure) {
  const size_t limit = GapFreeLength(pid, remote, length);
  const Transfer t = MoveExact(Direction::kWrite, pid, reinterpret_cast<uintptr_t>(local), remote, limit);
  if (t.error == 0 && !t.faulted && limit < length) {
    return Faulted(failure, limit, EfaultAt(Access::kWrite, remote + limit));
  }
  return FromTransfer(t, "process_vm_writev", EfaultAt(Access::kWrite, remote + t.copied), failure);
}

int CheckProcessAccess(pid_t pid, bool write) {
  uint8_t byte = 0;
  const ssize_t moved = VmCall(write ? Direction::kWrite : Direction::kRead, pid, reinterpret_cast<uintptr_t>(&byte), 0, 1);
  return moved < 0 && errno != EFAULT ? errno : 0;
}

bool ReadProcessPages(pid_t pid, uint8_t* local, uintptr_t remote, size_t length, CopyFailure* failure) {
  const size_t limit = GapFreeLength(pid, remote, length);
  struct iovec local_iov[IOV_MAX];
  struct iovec remote_iov[IOV_MAX];
  size_t offset = 0;
  while (offset < limit) {
    size_t count = 0;
    size_t batch = 0;
    for (; count < IOV_MAX && offset + batch < limit; count++) {
      const size_t piece = std::min(limit - offset - batch, BytesToPageEnd(remote + offset + batch));
      local_iov[count] = {local + offset + batch, piece};
      remote_iov[count] = {reinterpret_cast<void*>(remote + offset + batch), piece};
      batch += piece;
    }
    const ssize_t got = process_vm_readv(pid, local_iov, count, remote_iov, count, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno != EFAULT) return Failed(failure, errno, "process_vm_readv");
    // A short count ends at a page boundary (or the range's first byte): that page could not be read.
    const size_t read = got < 0 ? 0 : static_cast<size_t>(got);
    offset += read;
    if (read < batch) return Faulted(failure, offset, EfaultAt(Access::kRead, remote + offset));
  }
  return limit == length || Faulted(failure, limit, EfaultAt(Access::kRead, remote + limit));
}

}  // namespace memprobe
