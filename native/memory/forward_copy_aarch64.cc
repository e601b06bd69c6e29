// aarch64 (built for target_arch arm64 only; forward_copy_x86_64.cc is the x86-64 twin).
// memprobe_forward_copy and memprobe_probe_byte: see forward_copy.h. Leaf routines that never touch the stack,
// x30 or the callee-saved registers (only x0-x17 and v0-v7), so the recovery label after them can simply
// return, whatever instruction faulted. Each starts with `bti c` (hint #34, a no-op before Armv8.5).
//   copy:  x0 = dst, x1 = src, x2 = length (w3 ignored)   ->   x0 = 0 (x1 unused)
//   probe: x0 = address                                   ->   x0 = 0 (x1 unused)
// Every block's loads come before its stores, blocks move forward, and the stores cover dst from low to high:
// up to 128 bytes the first and last parts of the range (all loaded, then all stored), beyond it 64-byte
// blocks (two LDP and two STP of q registers) while more than 128 remain, then the last 65..128 bytes as the
// first and last 64.
#include "memory/forward_copy.h"
#include "memory/guarded_regions.h"

__asm__(R"(
    .text
    .p2align 6
    .globl memprobe_forward_copy
    .hidden memprobe_forward_copy
    .type memprobe_forward_copy, %function
memprobe_forward_copy:
    hint    #34                         // bti c
    add     x4, x1, x2                  // src end
    add     x5, x0, x2                  // dst end
    cmp     x2, #16
    b.hi    .Lmp_over16
    cmp     x2, #8
    b.lo    .Lmp_under8
    ldr     x6, [x1]                    // 8..16: head and tail, loads first
    ldur    x7, [x4, #-8]
    str     x6, [x0]
    stur    x7, [x5, #-8]
    mov     x0, #0
    ret
.Lmp_under8:
    cmp     x2, #4
    b.lo    .Lmp_under4
    ldr     w6, [x1]                    // 4..7
    ldur    w7, [x4, #-4]
    str     w6, [x0]
    stur    w7, [x5, #-4]
    mov     x0, #0
    ret
.Lmp_under4:
    cbz     x2, .Lmp_done
    lsr     x8, x2, #1                  // 1..3: first, middle, last
    ldrb    w6, [x1]
    ldrb    w7, [x1, x8]
    ldurb   w9, [x4, #-1]
    strb    w6, [x0]
    strb    w7, [x0, x8]
    sturb   w9, [x5, #-1]
    mov     x0, #0
    ret
.Lmp_over16:
    cmp     x2, #32
    b.hi    .Lmp_over32
    ldr     q0, [x1]                    // 17..32
    ldur    q1, [x4, #-16]
    str     q0, [x0]
    stur    q1, [x5, #-16]
    mov     x0, #0
    ret
.Lmp_over32:
    cmp     x2, #64
    b.hi    .Lmp_over64
    ldp     q0, q1, [x1]                // 33..64
    ldp     q2, q3, [x4, #-32]
    stp     q0, q1, [x0]
    stp     q2, q3, [x5, #-32]
    mov     x0, #0
    ret
.Lmp_over64:
    cmp     x2, #128
    b.ls    .Lmp_last
.Lmp_loop:                              // 64-byte blocks while more than 128 remain
    ldp     q0, q1, [x1]
    ldp     q2, q3, [x1, #32]
    stp     q0, q1, [x0]
    stp     q2, q3, [x0, #32]
    add     x1, x1, #64
    add     x0, x0, #64
    sub     x2, x2, #64
    cmp     x2, #128
    b.hi    .Lmp_loop
.Lmp_last:                              // 65..128: first 64 and last 64
    ldp     q0, q1, [x1]
    ldp     q2, q3, [x1, #32]
    ldp     q4, q5, [x4, #-64]
    ldp     q6, q7, [x4, #-32]
    stp     q0, q1, [x0]
    stp     q2, q3, [x0, #32]
    stp     q4, q5, [x5, #-64]
    stp     q6, q7, [x5, #-32]
.Lmp_done:
    mov     x0, #0
    ret
    .size memprobe_forward_copy, .-memprobe_forward_copy

    // memprobe_probe_byte: one load of the byte at x0, inside the range the handler recovers, so a probe costs
    // one guarded load: x0 = 0 when it could be read, else the trap (x1 = si_addr) from the recovery label.
    .p2align 4
    .globl memprobe_probe_byte
    .hidden memprobe_probe_byte
    .type memprobe_probe_byte, %function
memprobe_probe_byte:
    hint    #34                         // bti c
    ldrb    w1, [x0]
    mov     x0, #0
    ret
    .size memprobe_probe_byte, .-memprobe_probe_byte

    .globl memprobe_forward_copy_recover
    .hidden memprobe_forward_copy_recover
memprobe_forward_copy_recover:          // the handler set x0 and x1
    ret
)");

namespace memprobe {
namespace {
// A fault anywhere in [memprobe_forward_copy, memprobe_forward_copy_recover) resumes at the label: the region
// registers itself with the guard.
[[maybe_unused]] const bool kRegistered =
    RegisterGuardedRegion(reinterpret_cast<const void*>(&memprobe_forward_copy), memprobe_forward_copy_recover);
}  // namespace
}  // namespace memprobe
