// The small guarded accesses of the exact pass and the overlap path, in assembly like the fast copy
// (forward_copy.h) and for the same reason: a fault inside them is recognised by its PC alone and resumed at
// the region's recovery label, so the guard needs no recovery point, no TLS and no siglongjmp.
//
// Convention of every guarded region (each registers itself: memory/guarded_regions.h): leaf routines that never
// touch the stack and never change the callee-saved registers (x86-64: rbx, rbp, r12-r15; aarch64: x19-x29 and
// d8-d15, and x30, the return address), so that returning from the recovery label is right from any instruction;
// at the label the first return register (rax, x0) = the trap (EncodeTrap), the second (rdx, x1) = si_addr, and
// the label returns both. A new routine joins a region by being placed between the region's first symbol and its
// recovery label; a new region registers its bounds and label with RegisterGuardedRegion from its own file.
// On aarch64 every routine starts with a `bti c` landing pad (hint #34), so a process whose pages are guarded
// by BTI keeps that protection.
//
// Each architecture has its own file of routines (guarded_access_x86_64.cc, guarded_access_aarch64.cc), chosen
// by binding.gyp from target_arch.
#pragma once

#include <cstddef>
#include <cstdint>

#include "memory/forward_copy.h"

namespace memprobe {

using GuardedResult = ForwardCopyResult;

extern "C" {
// One byte read at `address`.
GuardedResult memprobe_touch_read(const uint8_t* address);
// A write access that changes nothing, even with other threads writing the same byte: x86-64 `lock or $0`;
// aarch64 an exclusive load and store of the byte's own value, retried when another write came in between.
GuardedResult memprobe_touch_write(uint8_t* address);
// Copies `length` bytes from the end down: memmove for dst above src. Loads of each block precede its stores.
GuardedResult memprobe_backward_copy(uint8_t* dst, const uint8_t* src, size_t length);

#if defined(__aarch64__)
// The 32-bit word at `address` (an instruction: arch_aarch64.cc decodes a faulting one), in the result's address.
GuardedResult memprobe_load_instruction(const uint32_t* address);
#endif

extern const char memprobe_guarded_access_begin[];
extern const char memprobe_guarded_access_recover[];
}


}  // namespace memprobe
