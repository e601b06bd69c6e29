// Values of 1, 2, 4 or 8 bytes at a raw address of this process: one guarded load or store on the no-fault path,
// and on a fault the copy's own answer (memory/copy.h), so a value that straddles into a bad page reports the
// same fault, address and prefix as safeMemcpy of those bytes would. Plain C++, no N-API.
//
// Owns: the fast path's conditions (not in the gap below [stack], no wrap) and byte order. Must never: load or
// store in the gap below [stack], or be called from a signal handler.
//
// The folder native/inspect/ may never: call N-API, or access memory of this process outside its registered
// guarded routines (its own, inspect_access.h, or the copy's, memory/copy.h).
#pragma once

#include <cstddef>
#include <cstdint>

#include "inspect/inspect_access.h"
#include "memory/copy.h"
#include "memory/guard.h"
#include "memory/stack_gap.h"

namespace memprobe {

namespace typed_access_detail {
bool LoadAfterFault(uintptr_t address, unsigned width, uint64_t* value, CopyFailure* failure);
bool StoreAfterFault(uintptr_t address, unsigned width, uint64_t value, CopyFailure* failure);
}  // namespace typed_access_detail

inline uint64_t SwapBytes(uint64_t value, unsigned width) {
  switch (width) {
    case 2:
      return __builtin_bswap16(static_cast<uint16_t>(value));
    case 4:
      return __builtin_bswap32(static_cast<uint32_t>(value));
    case 8:
      return __builtin_bswap64(value);
    default:
      return value;
  }
}

// Reads `width` (1, 2, 4 or 8) bytes at `address` as a little-endian value into `value`. True when it could;
// otherwise `failure` holds the fault (bytes_copied: the readable prefix). The caller guarantees that
// address + width does not pass 2^64.
inline bool LoadValue(uintptr_t address, unsigned width, uint64_t* value, CopyFailure* failure) {
  GuardPrepareThread();
  if (StackGapLimit(address, width) == width) {
    const void* at = reinterpret_cast<const void*>(address);
    const GuardedValue loaded = width == 1   ? memprobe_load_u8(at)
                                : width == 2 ? memprobe_load_u16(at)
                                : width == 4 ? memprobe_load_u32(at)
                                             : memprobe_load_u64(at);
    if (loaded.trap == 0) {
      *value = loaded.value;
      return true;
    }
  }
  return typed_access_detail::LoadAfterFault(address, width, value, failure);
}

// Writes the low `width` bytes of `value` at `address`, little-endian. True when all were written; otherwise
// `failure` says how many were (the prefix before the first page that is not writable) and why not.
inline bool StoreValue(uintptr_t address, unsigned width, uint64_t value, CopyFailure* failure) {
  GuardPrepareThread();
  if (StackGapLimit(address, width) == width) {
    void* at = reinterpret_cast<void*>(address);
    const GuardedValue stored = width == 1   ? memprobe_store_u8(at, value)
                                : width == 2 ? memprobe_store_u16(at, value)
                                : width == 4 ? memprobe_store_u32(at, value)
                                             : memprobe_store_u64(at, value);
    if (stored.trap == 0) return true;
  }
  return typed_access_detail::StoreAfterFault(address, width, value, failure);
}

}  // namespace memprobe
