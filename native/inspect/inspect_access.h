// The guarded routines of the inspect area: typed loads and stores, the length of a C string, and the pattern
// search. In assembly like the copy's (memory/forward_copy.h) and for the same reason: a fault inside them is
// recognised by its PC alone (inspect_access_<arch>.cc registers this region with the guard's registry) and
// resumed at the recovery label, which returns the trap (EncodeTrap) and si_addr in the two return registers
// (x86-64 rax/rdx, aarch64 x0/x1). The routines follow memory/guarded_access.h's convention: leaves that never
// touch the stack nor the callee-saved registers. One file per architecture: inspect_access_x86_64.cc (SSE2),
// inspect_access_aarch64.cc (NEON).
//
// Owns: which bytes each routine loads, in what order. Must never: load a byte of a page that holds none of the
// requested bytes (aligned 16-byte blocks are the only wider loads, and a block never crosses a page), or run
// with SIGSEGV/SIGBUS blocked (GuardPrepareThread first).
#pragma once

#include <cstddef>
#include <cstdint>

namespace memprobe {

// The two return registers of a guarded routine: trap 0 and the routine's result, or the trap and si_addr.
struct GuardedValue {
  uint64_t trap;
  uint64_t value;
};

// What memprobe_find_pattern searches for. `pairs` holds (mask, masked byte) for each byte of the pattern; the
// anchor is one byte with a non-zero mask that the search looks for first, 16 at a time.
struct PatternSpec {
  const uint8_t* pairs;
  uint64_t length;
  uint64_t anchor;
  uint64_t reserved;
  alignas(16) uint8_t anchor_value[16];  // the anchor's masked byte, repeated
  alignas(16) uint8_t anchor_mask[16];   // the anchor's mask, repeated
};
static_assert(offsetof(PatternSpec, anchor_value) == 32 && offsetof(PatternSpec, anchor_mask) == 48,
              "memprobe_find_pattern's offsets");

extern "C" {
// One load of 1, 2, 4 or 8 bytes (little-endian, zero-extended into value); misaligned is fine on x86-64 and on
// aarch64's normal memory.
GuardedValue memprobe_load_u8(const void* address);
GuardedValue memprobe_load_u16(const void* address);
GuardedValue memprobe_load_u32(const void* address);
GuardedValue memprobe_load_u64(const void* address);
// One store of the low 1, 2, 4 or 8 bytes of `value`. A store that faults writes nothing.
GuardedValue memprobe_store_u8(void* address, uint64_t value);
GuardedValue memprobe_store_u16(void* address, uint64_t value);
GuardedValue memprobe_store_u32(void* address, uint64_t value);
GuardedValue memprobe_store_u64(void* address, uint64_t value);
// value = bytes before the first NUL of [text, text + limit), or `limit`. Loads aligned 16-byte blocks in
// address order, only while a byte of the range is still unchecked.
GuardedValue memprobe_string_length(const uint8_t* text, size_t limit);
// value = offset from `base` of the first match starting in [base, base + starts), or `starts` (starts > 0).
// Loads from [base, base + starts - 1 + length) only, in aligned blocks for the anchor; a candidate's bytes are
// loaded once it is found, so every match that ends before a faulting byte has been returned by then. Four blocks
// are loaded together only within one 64-byte line (one page): a fault in a later block of a group that straddled
// a page would lose the unchecked candidates of the earlier ones.
GuardedValue memprobe_find_pattern(const uint8_t* base, size_t starts, const PatternSpec* spec);

extern const char memprobe_inspect_access_begin[];
extern const char memprobe_inspect_access_recover[];
}


}  // namespace memprobe
