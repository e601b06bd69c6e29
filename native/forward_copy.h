// The copy loop of the guarded fast pass. Not memcpy: glibc may copy backwards or store the tail first, and
// then a fault would leave bytes written past the prefix that is really readable and writable.
//
// Invariant the guard relies on: all loads of a block come before its stores, and the stores cover the
// destination contiguously from low to high addresses (x86 commits stores in order and a faulting store writes
// nothing). So when an access faults, every byte already written lies before the first byte that cannot be
// read or written. Source and destination must not overlap. Runs inside a guarded region: no calls out.
#pragma once

#include <emmintrin.h>
#include <stdint.h>
#include <string.h>

#include <cstddef>

namespace memprobe {

namespace forward_copy_detail {

inline __m128i Load16(const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }
inline void Store16(uint8_t* p, __m128i v) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v); }
// Keeps the compiler from reordering the stores (the CPU does not).
inline void InOrder() { __asm__ volatile("" ::: "memory"); }

// n in [64, 128]: eight loads, then eight stores; the last four overlap the first four.
inline void Copy64To128(uint8_t* d, const uint8_t* s, size_t n) {
  const __m128i a = Load16(s), b = Load16(s + 16), c = Load16(s + 32), e = Load16(s + 48);
  const __m128i f = Load16(s + n - 64), g = Load16(s + n - 48), h = Load16(s + n - 32), i = Load16(s + n - 16);
  Store16(d, a), InOrder(), Store16(d + 16, b), InOrder(), Store16(d + 32, c), InOrder(), Store16(d + 48, e);
  InOrder(), Store16(d + n - 64, f), InOrder(), Store16(d + n - 48, g), InOrder(), Store16(d + n - 32, h);
  InOrder(), Store16(d + n - 16, i);
}

inline void RepMovsb(uint8_t* d, const uint8_t* s, size_t n) {
  __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
}

}  // namespace forward_copy_detail

// From this size on `rep movsb` (forward, fault-precise per iteration) matches glibc's memcpy on CPUs with
// ERMS; bench/copy.js shows the ratio against Buffer.prototype.copy.
inline constexpr size_t kRepMovsbThreshold = 1024;

inline void ForwardCopy(uint8_t* d, const uint8_t* s, size_t n, bool has_erms) {
  using namespace forward_copy_detail;
  if (n <= 16) {
    if (n >= 8) {
      uint64_t head, tail;
      memcpy(&head, s, 8), memcpy(&tail, s + n - 8, 8);
      memcpy(d, &head, 8), InOrder(), memcpy(d + n - 8, &tail, 8);
    } else if (n >= 4) {
      uint32_t head, tail;
      memcpy(&head, s, 4), memcpy(&tail, s + n - 4, 4);
      memcpy(d, &head, 4), InOrder(), memcpy(d + n - 4, &tail, 4);
    } else if (n > 0) {
      const uint8_t first = s[0], middle = s[n / 2], last = s[n - 1];
      d[0] = first, InOrder(), d[n / 2] = middle, InOrder(), d[n - 1] = last;
    }
    return;
  }
  if (n <= 32) {
    const __m128i head = Load16(s), tail = Load16(s + n - 16);
    Store16(d, head), InOrder(), Store16(d + n - 16, tail);
    return;
  }
  if (n <= 64) {
    const __m128i a = Load16(s), b = Load16(s + 16), c = Load16(s + n - 32), e = Load16(s + n - 16);
    Store16(d, a), InOrder(), Store16(d + 16, b), InOrder(), Store16(d + n - 32, c), InOrder(), Store16(d + n - 16, e);
    return;
  }
  if (has_erms && n >= kRepMovsbThreshold) {
    RepMovsb(d, s, n);
    return;
  }
  while (n > 128) {
    const __m128i a = Load16(s), b = Load16(s + 16), c = Load16(s + 32), e = Load16(s + 48);
    Store16(d, a), InOrder(), Store16(d + 16, b), InOrder(), Store16(d + 32, c), InOrder(), Store16(d + 48, e);
    InOrder();
    d += 64, s += 64, n -= 64;
  }
  Copy64To128(d, s, n);
}

}  // namespace memprobe
