// Strings at raw addresses of this process: a C string (up to its NUL), a run of bytes of known length, a UTF-16
// string (up to a zero code unit). Plain C++, no N-API: bytes come out in a ByteSink, decoding is the binding's.
//
// Owns: which bytes are read. A terminated string is searched page by page, so nothing is loaded from a page
// past the one its terminator is on, and a fault always stops at the first byte of a page (or the string's
// first byte), which is then the exact first byte that could not be read. Must never: load from the gap below
// [stack], or be called from a signal handler.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "memory/fault.h"

namespace memprobe {

// Bytes read so far: on the stack up to kInline, then on the heap, so a short string allocates nothing.
class ByteSink {
 public:
  static constexpr size_t kInline = 4096;

  // Room for `count` more bytes after size(); valid until the next Reserve.
  uint8_t* Reserve(size_t count);
  void Commit(size_t count) { size_ += count; }
  void Truncate(size_t size) { size_ = size; }
  const uint8_t* data() const { return heap_.empty() ? inline_ : heap_.data(); }
  uint8_t* data() { return heap_.empty() ? inline_ : heap_.data(); }
  size_t size() const { return size_; }

 private:
  alignas(16) uint8_t inline_[kInline];  // aligned for UTF-16 units
  std::vector<uint8_t> heap_;
  size_t size_ = 0;
};

// How a string read ended: `bytes_read` bytes are in the sink (the terminator not included); when `faulted`,
// `fault` is why no more could be read.
struct StringRead {
  size_t bytes_read;
  bool faulted;
  Fault fault;
};

// Bytes up to the first NUL, at most `limit` of them.
StringRead ReadCString(uintptr_t address, size_t limit, ByteSink* sink);

// Exactly `length` bytes (NULs included), or the exact readable prefix. The caller guarantees no wrap past 2^64.
StringRead ReadBytes(uintptr_t address, size_t length, ByteSink* sink);

// Little-endian UTF-16 code units up to the first zero unit, at most `limit` units; bytes_read counts bytes. A
// fault can end the read in the middle of a unit (an odd bytes_read).
StringRead ReadUtf16(uintptr_t address, size_t limit, ByteSink* sink);

// The same three reads in process `pid`, through process_vm_readv (memory/syscall_copy.h): a terminated string
// one iovec per page, a batch of pages per call (growing from one), so a string whose terminator lies before a
// page that cannot be read reads whole, and a fault is at the first byte of the page that could not be read
// (EFAULT, as the syscall strategy reports it). `limit` is what the local read takes (bytes, or units for
// UTF-16). Returns false when a system call failed for another reason (EPERM, ESRCH): `failure` says which.
enum class StringKind { kCString, kBytes, kUtf16 };
bool ReadProcessString(pid_t pid, StringKind kind, uintptr_t address, size_t limit, ByteSink* sink, StringRead* read,
                       CopyFailure* failure);

}  // namespace memprobe
