// x86-64 (built for target_arch x64 only; guarded_access_aarch64.cc is the aarch64 twin).
// The routines of guarded_access.h. Leaves that never touch the stack, so the recovery label can return
// from whichever instruction faulted.
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
    .type memprobe_touch_read, @function
memprobe_touch_read:                    # rdi = address
    movzbl  (%rdi), %eax
    xor     %eax, %eax
    ret
    .size memprobe_touch_read, .-memprobe_touch_read

    .globl memprobe_touch_write
    .hidden memprobe_touch_write
    .type memprobe_touch_write, @function
memprobe_touch_write:                   # rdi = address
    lock orb $0, (%rdi)
    xor     %eax, %eax
    ret
    .size memprobe_touch_write, .-memprobe_touch_write

    .globl memprobe_backward_copy
    .hidden memprobe_backward_copy
    .type memprobe_backward_copy, @function
memprobe_backward_copy:                 # rdi = dst, rsi = src, rdx = length, from the end down
    cmp     $64, %rdx
    jb      .Lmpb_16
.Lmpb_64:                               # 64-byte blocks: four loads, then four stores
    movdqu  -16(%rsi,%rdx), %xmm0
    movdqu  -32(%rsi,%rdx), %xmm1
    movdqu  -48(%rsi,%rdx), %xmm2
    movdqu  -64(%rsi,%rdx), %xmm3
    movdqu  %xmm0, -16(%rdi,%rdx)
    movdqu  %xmm1, -32(%rdi,%rdx)
    movdqu  %xmm2, -48(%rdi,%rdx)
    movdqu  %xmm3, -64(%rdi,%rdx)
    sub     $64, %rdx
    cmp     $64, %rdx
    jae     .Lmpb_64
.Lmpb_16:
    cmp     $16, %rdx
    jb      .Lmpb_1
    movdqu  -16(%rsi,%rdx), %xmm0
    movdqu  %xmm0, -16(%rdi,%rdx)
    sub     $16, %rdx
    jmp     .Lmpb_16
.Lmpb_1:
    test    %rdx, %rdx
    jz      .Lmpb_done
    movzbl  -1(%rsi,%rdx), %eax
    mov     %al, -1(%rdi,%rdx)
    dec     %rdx
    jmp     .Lmpb_1
.Lmpb_done:
    xor     %eax, %eax
    ret
    .size memprobe_backward_copy, .-memprobe_backward_copy

    .globl memprobe_guarded_access_recover
    .hidden memprobe_guarded_access_recover
memprobe_guarded_access_recover:        # the handler set rax and rdx
    ret
)");

namespace memprobe {
namespace {
// A fault anywhere in [memprobe_guarded_access_begin, memprobe_guarded_access_recover) resumes at the label: the region registers itself with the guard.
[[maybe_unused]] const bool kRegistered = RegisterGuardedRegion(reinterpret_cast<const void*>(&memprobe_guarded_access_begin), memprobe_guarded_access_recover);
}  // namespace
}  // namespace memprobe
