// aarch64 (built for target_arch arm64 only; guarded_access_x86_64.cc is the x86-64 twin).
// The routines of guarded_access.h, plus memprobe_load_instruction for arch_aarch64.cc. Leaves that never touch
// the stack, x30 or the callee-saved registers (only x0-x17 and v0-v7), so the recovery label can return from
// whichever instruction faulted. Each starts with `bti c` (hint #34).
//
// The write probe must be a write access that changes nothing even while other threads write the same byte:
// x86's `lock or $0`. Here an exclusive pair: LDXRB takes the byte and marks it, STXRB stores the same value
// back only if nothing wrote it in between (else it stores nothing and the loop takes the new value). A store
// to a page that cannot be written faults at the STXRB. Armv8.0 has it; a CAS of the value with itself would
// need the v8.1 atomics (Node's baseline is v8.0), and a comparison another writer made fail leaves it to the
// implementation whether the write's permission is checked at all.
#include "memory/guarded_access.h"
#include "memory/guarded_regions.h"

__asm__(R"(
    .text
    .p2align 4
    .globl memprobe_guarded_access_begin
    .hidden memprobe_guarded_access_begin
memprobe_guarded_access_begin:

    .globl memprobe_touch_read
    .hidden memprobe_touch_read
    .type memprobe_touch_read, %function
memprobe_touch_read:                    // x0 = address
    hint    #34
    ldrb    w1, [x0]
    mov     x0, #0
    ret
    .size memprobe_touch_read, .-memprobe_touch_read

    .globl memprobe_touch_write
    .hidden memprobe_touch_write
    .type memprobe_touch_write, %function
memprobe_touch_write:                   // x0 = address
    hint    #34
.Lmptw_retry:
    ldxrb   w1, [x0]
    stxrb   w2, w1, [x0]
    cbnz    w2, .Lmptw_retry
    mov     x0, #0
    ret
    .size memprobe_touch_write, .-memprobe_touch_write

    .globl memprobe_load_instruction
    .hidden memprobe_load_instruction
    .type memprobe_load_instruction, %function
memprobe_load_instruction:              // x0 = address -> x1 = the 32-bit word there
    hint    #34
    ldr     w1, [x0]
    mov     x0, #0
    ret
    .size memprobe_load_instruction, .-memprobe_load_instruction

    .globl memprobe_backward_copy
    .hidden memprobe_backward_copy
    .type memprobe_backward_copy, %function
memprobe_backward_copy:                 // x0 = dst, x1 = src, x2 = length, from the end down
    hint    #34
    add     x1, x1, x2                  // x1, x0: the ends of what is left
    add     x0, x0, x2
.Lmpb_64:                               // 64-byte blocks: two LDP, then two STP
    cmp     x2, #64
    b.lo    .Lmpb_16
    ldp     q0, q1, [x1, #-32]
    ldp     q2, q3, [x1, #-64]
    stp     q0, q1, [x0, #-32]
    stp     q2, q3, [x0, #-64]
    sub     x1, x1, #64
    sub     x0, x0, #64
    sub     x2, x2, #64
    b       .Lmpb_64
.Lmpb_16:
    cmp     x2, #16
    b.lo    .Lmpb_1
    ldr     q0, [x1, #-16]!
    str     q0, [x0, #-16]!
    sub     x2, x2, #16
    b       .Lmpb_16
.Lmpb_1:
    cbz     x2, .Lmpb_done
    ldrb    w3, [x1, #-1]!
    strb    w3, [x0, #-1]!
    sub     x2, x2, #1
    b       .Lmpb_1
.Lmpb_done:
    mov     x0, #0
    ret
    .size memprobe_backward_copy, .-memprobe_backward_copy

    .globl memprobe_guarded_access_recover
    .hidden memprobe_guarded_access_recover
memprobe_guarded_access_recover:        // the handler set x0 and x1
    ret
)");

namespace memprobe {
namespace {
// A fault anywhere in [memprobe_guarded_access_begin, memprobe_guarded_access_recover) resumes at the label: the
// region registers itself with the guard.
[[maybe_unused]] const bool kRegistered = RegisterGuardedRegion(
    reinterpret_cast<const void*>(&memprobe_guarded_access_begin), memprobe_guarded_access_recover);
}  // namespace
}  // namespace memprobe
