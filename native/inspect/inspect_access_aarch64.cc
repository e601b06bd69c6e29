// aarch64 (built for target_arch arm64 only; inspect_access_x86_64.cc is the x86-64 twin).
// The routines of inspect_access.h. Leaves that never touch the stack, x30 or the callee-saved registers (only
// x0-x17 and v0-v7), so the recovery label at the end can simply return, whatever instruction faulted; x1 carries
// each routine's result (the handler puts si_addr there). Each starts with `bti c` (hint #34).
//
// The searches are NEON: a 16-byte block is compared at once (CMEQ), and SHRN #4 narrows the comparison to a
// 64-bit mask with four bits per byte (byte i is nibble i), which RBIT/CLZ turn back into a byte index. Blocks
// are aligned, so none crosses a page, and a block is loaded only while it holds a requested byte.
#include "inspect/inspect_access.h"
#include "memory/guarded_regions.h"

__asm__(R"(
    .text
    .p2align 4
    .globl memprobe_inspect_access_begin
    .hidden memprobe_inspect_access_begin
memprobe_inspect_access_begin:

    .globl memprobe_load_u8
    .hidden memprobe_load_u8
    .type memprobe_load_u8, %function
memprobe_load_u8:                       // x0 = address
    hint    #34
    ldrb    w1, [x0]
    mov     x0, #0
    ret
    .size memprobe_load_u8, .-memprobe_load_u8

    .globl memprobe_load_u16
    .hidden memprobe_load_u16
    .type memprobe_load_u16, %function
memprobe_load_u16:
    hint    #34
    ldrh    w1, [x0]
    mov     x0, #0
    ret
    .size memprobe_load_u16, .-memprobe_load_u16

    .globl memprobe_load_u32
    .hidden memprobe_load_u32
    .type memprobe_load_u32, %function
memprobe_load_u32:
    hint    #34
    ldr     w1, [x0]
    mov     x0, #0
    ret
    .size memprobe_load_u32, .-memprobe_load_u32

    .globl memprobe_load_u64
    .hidden memprobe_load_u64
    .type memprobe_load_u64, %function
memprobe_load_u64:
    hint    #34
    ldr     x1, [x0]
    mov     x0, #0
    ret
    .size memprobe_load_u64, .-memprobe_load_u64

    .globl memprobe_store_u8
    .hidden memprobe_store_u8
    .type memprobe_store_u8, %function
memprobe_store_u8:                      // x0 = address, x1 = value
    hint    #34
    strb    w1, [x0]
    mov     x0, #0
    ret
    .size memprobe_store_u8, .-memprobe_store_u8

    .globl memprobe_store_u16
    .hidden memprobe_store_u16
    .type memprobe_store_u16, %function
memprobe_store_u16:
    hint    #34
    strh    w1, [x0]
    mov     x0, #0
    ret
    .size memprobe_store_u16, .-memprobe_store_u16

    .globl memprobe_store_u32
    .hidden memprobe_store_u32
    .type memprobe_store_u32, %function
memprobe_store_u32:
    hint    #34
    str     w1, [x0]
    mov     x0, #0
    ret
    .size memprobe_store_u32, .-memprobe_store_u32

    .globl memprobe_store_u64
    .hidden memprobe_store_u64
    .type memprobe_store_u64, %function
memprobe_store_u64:
    hint    #34
    str     x1, [x0]
    mov     x0, #0
    ret
    .size memprobe_store_u64, .-memprobe_store_u64

    // memprobe_string_length: x0 = text, x1 = limit -> x1 = bytes before the first NUL, or limit.
    //   x2 = limit, x1 = bytes of text covered by the blocks loaded so far, x4 = the block, x5 = its NUL nibbles.
    .p2align 4
    .globl memprobe_string_length
    .hidden memprobe_string_length
    .type memprobe_string_length, %function
memprobe_string_length:
    hint    #34
    mov     x2, x1
    mov     x1, #0
    cbz     x2, .Lmsl_done
    and     x3, x0, #15                 // text's offset in its block
    and     x4, x0, #-16
    ldr     q0, [x4]
    cmeq    v0.16b, v0.16b, #0
    shrn    v0.8b, v0.8h, #4
    fmov    x5, d0
    lsl     x6, x3, #2
    lsr     x5, x5, x6                  // nibble i: text[i] is NUL
    cbnz    x5, .Lmsl_found
    mov     x1, #16
    sub     x1, x1, x3
.Lmsl_next:
    cmp     x1, x2
    b.hs    .Lmsl_limit
    add     x4, x4, #16
    ldr     q0, [x4]
    cmeq    v0.16b, v0.16b, #0
    shrn    v0.8b, v0.8h, #4
    fmov    x5, d0
    cbnz    x5, .Lmsl_found
    add     x1, x1, #16
    b       .Lmsl_next
.Lmsl_found:
    rbit    x5, x5
    clz     x5, x5
    add     x1, x1, x5, lsr #2
    cmp     x1, x2
    csel    x1, x2, x1, hi
    mov     x0, #0
    ret
.Lmsl_limit:
    mov     x1, x2
.Lmsl_done:
    mov     x0, #0
    ret
    .size memprobe_string_length, .-memprobe_string_length

    // memprobe_find_pattern: x0 = base, x1 = starts, x2 = spec -> x1 = offset of the first match, or starts.
    //   x10 = base, x11 = past the last anchor position, x12 = anchor, x13 = length, x9 = pairs,
    //   x14 = the block being searched, x5 = its candidates (bit 4i: byte i), x4 = candidate start,
    //   v2/v3 = anchor value/mask.
    // spec: 0 pairs, 8 length, 16 anchor, 32 anchor value x16, 48 anchor mask x16 (PatternSpec).
    .p2align 4
    .globl memprobe_find_pattern
    .hidden memprobe_find_pattern
    .type memprobe_find_pattern, %function
memprobe_find_pattern:
    hint    #34
    mov     x10, x0
    ldr     x9, [x2]
    ldr     x13, [x2, #8]
    ldr     x12, [x2, #16]
    ldr     q2, [x2, #32]
    ldr     q3, [x2, #48]
    add     x8, x0, x12                 // the first anchor position
    add     x11, x8, x1                 // past the last one
    and     x3, x8, #15
    and     x14, x8, #-16
    ldr     q0, [x14]
    and     v0.16b, v0.16b, v3.16b
    cmeq    v0.16b, v0.16b, v2.16b
    shrn    v0.8b, v0.8h, #4
    fmov    x5, d0
    and     x5, x5, #0x1111111111111111
    lsl     x3, x3, #2
    lsr     x5, x5, x3                  // no candidates before the first position
    lsl     x5, x5, x3
    cbnz    x5, .Lmfp_candidate
.Lmfp_next:
    add     x14, x14, #16
.Lmfp_64:                               // four blocks at a time while all four hold anchor positions
    tst     x14, #63                    // and lie in one 64-byte line, so in one page: a fault in the fourth
    b.ne    .Lmfp_16                    // would lose the candidates of the first three
    add     x3, x14, #64
    cmp     x3, x11
    b.hi    .Lmfp_16
    ldp     q0, q1, [x14]
    ldp     q4, q5, [x14, #32]
    and     v0.16b, v0.16b, v3.16b
    and     v1.16b, v1.16b, v3.16b
    and     v4.16b, v4.16b, v3.16b
    and     v5.16b, v5.16b, v3.16b
    cmeq    v0.16b, v0.16b, v2.16b
    cmeq    v1.16b, v1.16b, v2.16b
    cmeq    v4.16b, v4.16b, v2.16b
    cmeq    v5.16b, v5.16b, v2.16b
    orr     v0.16b, v0.16b, v1.16b
    orr     v4.16b, v4.16b, v5.16b
    orr     v0.16b, v0.16b, v4.16b
    shrn    v0.8b, v0.8h, #4
    fmov    x5, d0
    cbnz    x5, .Lmfp_block             // one of the four has a candidate: take them one at a time
    add     x14, x14, #64
    b       .Lmfp_64
.Lmfp_16:
    cmp     x14, x11
    b.hs    .Lmfp_none
.Lmfp_block:
    ldr     q0, [x14]
    and     v0.16b, v0.16b, v3.16b
    cmeq    v0.16b, v0.16b, v2.16b
    shrn    v0.8b, v0.8h, #4
    fmov    x5, d0
    and     x5, x5, #0x1111111111111111
    cbz     x5, .Lmfp_next
.Lmfp_candidate:
    rbit    x3, x5
    clz     x3, x3
    add     x4, x14, x3, lsr #2
    cmp     x4, x11
    b.hs    .Lmfp_none                  // past the last anchor position (and so is every later bit)
    sub     x4, x4, x12                 // the candidate's start
    mov     x6, x13
.Lmfp_verify:                           // from the last byte down: (byte & mask) == masked byte
    subs    x6, x6, #1
    b.lo    .Lmfp_match
    ldrb    w7, [x4, x6]
    add     x15, x9, x6, lsl #1
    ldrb    w16, [x15]
    ldrb    w17, [x15, #1]
    and     w7, w7, w16
    cmp     w7, w17
    b.eq    .Lmfp_verify
    sub     x3, x5, #1                  // drop this candidate's bit
    ands    x5, x5, x3
    b.ne    .Lmfp_candidate
    b       .Lmfp_next
.Lmfp_match:
    sub     x1, x4, x10
    mov     x0, #0
    ret
.Lmfp_none:
    sub     x1, x11, x10
    sub     x1, x1, x12
    mov     x0, #0
    ret
    .size memprobe_find_pattern, .-memprobe_find_pattern

    .globl memprobe_inspect_access_recover
    .hidden memprobe_inspect_access_recover
memprobe_inspect_access_recover:        // the handler set x0 and x1
    ret
)");

namespace memprobe {
namespace {
// A fault anywhere in [memprobe_inspect_access_begin, memprobe_inspect_access_recover) resumes at the label: the
// region registers itself with the guard.
[[maybe_unused]] const bool kRegistered = RegisterGuardedRegion(
    reinterpret_cast<const void*>(&memprobe_inspect_access_begin), memprobe_inspect_access_recover);
}  // namespace
}  // namespace memprobe
