#include "memory/syscall_copy.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
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

// Scratch memory for an overlapping copy: pages are only committed as far as the read gets.
struct Scratch {
  uint8_t* data = nullptr;
  size_t size = 0;
  explicit Scratch(size_t length) : size(length) {
    void* p = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    data = p == MAP_FAILED ? nullptr : static_cast<uint8_t*>(p);
  }
  ~Scratch() {
    if (data != nullptr) munmap(data, size);
  }
};

// memmove semantics through the kernel: read all that can be read into scratch memory, then write it out.
bool BouncedCopy(uint8_t* dst, const uint8_t* src, size_t length, CopyFailure* failure) {
  Scratch scratch(length);
  if (scratch.data == nullptr) return Failed(failure, errno, "mmap");
  const uintptr_t local = reinterpret_cast<uintptr_t>(scratch.data);
  const Transfer read = MoveExact(Direction::kRead, g_self, local, reinterpret_cast<uintptr_t>(src), length);
  if (read.error != 0) return Failed(failure, read.error, "process_vm_readv");
  const Transfer written = MoveExact(Direction::kWrite, g_self, local, reinterpret_cast<uintptr_t>(dst), read.copied);
  if (written.faulted || written.error != 0) {
    return FromTransfer(written, "process_vm_writev", EfaultAt(Access::kWrite, reinterpret_cast<uintptr_t>(dst) + written.copied),
                        failure);
  }
  return FromTransfer(read, "process_vm_readv", EfaultAt(Access::kRead, reinterpret_cast<uintptr_t>(src) + read.copied),
                      failure);
}

}  // namespace

bool SyscallCopy(uint8_t* dst, const uint8_t* src, size_t length, SyscallSides sides, CopyFailure* failure) {
  const uintptr_t d = reinterpret_cast<uintptr_t>(dst);
  const uintptr_t s = reinterpret_cast<uintptr_t>(src);
  if (d < s + length && s < d + length) return BouncedCopy(dst, src, length, failure);
  if (sides.src_owned && !sides.dst_owned) {
    const Transfer t = MoveExact(Direction::kWrite, g_self, s, d, length);
    return FromTransfer(t, "process_vm_writev", EfaultAt(Access::kWrite, d + t.copied), failure);
  }
  const Transfer t = MoveExact(Direction::kRead, g_self, d, s, length);
  // Both raw: the call cannot say which side it refused; when both would fail, the read is reported.
  const bool read_side = !t.faulted || sides.dst_owned || !ReadableHere(s + t.copied);
  return FromTransfer(t, "process_vm_readv",
                      EfaultAt(read_side ? Access::kRead : Access::kWrite, (read_side ? s : d) + t.copied), failure);
}

bool ReadProcess(pid_t pid, uint8_t* local, uintptr_t remote, size_t length, CopyFailure* failure) {
  // Reading this process through its pid must not grow the stack either (kernels before 6.5 let
  // process_vm_readv expand it): stop before the gap below [stack], as a copy without a pid does.
  const size_t limit = IsThisProcess(pid) ? StackGapLimit(remote, length) : length;
  const Transfer t = MoveExact(Direction::kRead, pid, reinterpret_cast<uintptr_t>(local), remote, limit);
  if (t.error == 0 && !t.faulted && limit < length) return Faulted(failure, limit, EfaultAt(Access::kRead, remote + limit));
  return FromTransfer(t, "process_vm_readv", EfaultAt(Access::kRead, remote + t.copied), failure);
}

}  // namespace memprobe
