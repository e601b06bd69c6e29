// The small guarded accesses of the exact pass and the overlap path, in assembly like the fast copy
// (forward_copy.h) and for the same reason: a fault inside them is recognised by its PC alone and resumed at
// the region's recovery label, so the guard needs no recovery point, no TLS and no siglongjmp.
//
// Convention of every guarded region (each registers itself: memory/guarded_regions.h): leaf routines that never touch the
// stack and never change the callee-saved registers (rbx, rbp, r12-r15), so that returning from the recovery
// label is right from any instruction; at the label rax = the trap (EncodeTrap), rdx = si_addr, and the label
// returns both. A new routine joins a region by being placed between the region's first symbol and its
// recovery label; a new region registers its bounds and label with RegisterGuardedRegion from its own file.
#pragma once

#include <cstddef>
#include <cstdint>

#include "memory/forward_copy.h"

namespace memprobe {

using GuardedResult = ForwardCopyResult;

extern "C" {
// One byte read at `address`.
GuardedResult memprobe_touch_read(const uint8_t* address);
// A write access that changes nothing (`lock or $0`), even with other threads writing the same byte.
GuardedResult memprobe_touch_write(uint8_t* address);
// Copies `length` bytes from the end down: memmove for dst above src. Loads of each block precede its stores.
GuardedResult memprobe_backward_copy(uint8_t* dst, const uint8_t* src, size_t length);

extern const char memprobe_guarded_access_begin[];
extern const char memprobe_guarded_access_recover[];
}


}  // namespace memprobe
