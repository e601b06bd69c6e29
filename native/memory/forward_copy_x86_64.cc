// x86-64 (built for target_arch x64 only; forward_copy_aarch64.cc is the aarch64 twin).
// memprobe_forward_copy and memprobe_probe_byte: see forward_copy.h. Leaf routines that never touch the stack,
// so the recovery label after them can simply return, whatever instruction faulted.
//   copy:  rdi = dst, rsi = src, rdx = length, ecx = use_rep_movsb   ->   rax = 0 (rdx unused)
//   probe: rdi = address                                             ->   rax = 0 (rdx unused)
#include "memory/forward_copy.h"
#include "memory/guarded_regions.h"

#define MEMPROBE_STR(x) #x
#define MEMPROBE_XSTR(x) MEMPROBE_STR(x)

__asm__(R"(
    .text
    .p2align 5
    .globl memprobe_forward_copy
    .hidden memprobe_forward_copy
    .type memprobe_forward_copy, @function
memprobe_forward_copy:
    cmp     $16, %rdx
    ja      .Lmp_over16
    cmp     $8, %rdx
    jb      .Lmp_under8
    mov     (%rsi), %rax                # 8..16: head and tail, loads first
    mov     -8(%rsi,%rdx), %r8
    mov     %rax, (%rdi)
    mov     %r8, -8(%rdi,%rdx)
    xor     %eax, %eax
    ret
.Lmp_under8:
    cmp     $4, %rdx
    jb      .Lmp_under4
    mov     (%rsi), %eax                # 4..7
    mov     -4(%rsi,%rdx), %r8d
    mov     %eax, (%rdi)
    mov     %r8d, -4(%rdi,%rdx)
    xor     %eax, %eax
    ret
.Lmp_under4:
    test    %rdx, %rdx
    jz      .Lmp_done
    mov     %rdx, %r9                   # 1..3: first, middle, last
    shr     $1, %r9
    movzbl  (%rsi), %eax
    movzbl  (%rsi,%r9), %r8d
    movzbl  -1(%rsi,%rdx), %r10d
    mov     %al, (%rdi)
    mov     %r8b, (%rdi,%r9)
    mov     %r10b, -1(%rdi,%rdx)
    jmp     .Lmp_done
.Lmp_over16:
    cmp     $32, %rdx
    ja      .Lmp_over32
    movdqu  (%rsi), %xmm0               # 17..32
    movdqu  -16(%rsi,%rdx), %xmm1
    movdqu  %xmm0, (%rdi)
    movdqu  %xmm1, -16(%rdi,%rdx)
    xor     %eax, %eax
    ret
.Lmp_over32:
    cmp     $64, %rdx
    ja      .Lmp_over64
    movdqu  (%rsi), %xmm0               # 33..64
    movdqu  16(%rsi), %xmm1
    movdqu  -32(%rsi,%rdx), %xmm2
    movdqu  -16(%rsi,%rdx), %xmm3
    movdqu  %xmm0, (%rdi)
    movdqu  %xmm1, 16(%rdi)
    movdqu  %xmm2, -32(%rdi,%rdx)
    movdqu  %xmm3, -16(%rdi,%rdx)
    xor     %eax, %eax
    ret
.Lmp_over64:
    test    %ecx, %ecx
    jz      .Lmp_blocks
    cmp     $)" MEMPROBE_XSTR(MEMPROBE_REP_MOVSB_THRESHOLD) R"(, %rdx
    jb      .Lmp_blocks
    mov     %rdx, %rcx                  # rep movsb: forward, precise per iteration
    rep movsb
    jmp     .Lmp_done
.Lmp_blocks:
    cmp     $128, %rdx
    jbe     .Lmp_last
.Lmp_loop:                              # 64-byte blocks while more than 128 remain
    movdqu  (%rsi), %xmm0
    movdqu  16(%rsi), %xmm1
    movdqu  32(%rsi), %xmm2
    movdqu  48(%rsi), %xmm3
    movdqu  %xmm0, (%rdi)
    movdqu  %xmm1, 16(%rdi)
    movdqu  %xmm2, 32(%rdi)
    movdqu  %xmm3, 48(%rdi)
    add     $64, %rsi
    add     $64, %rdi
    sub     $64, %rdx
    cmp     $128, %rdx
    ja      .Lmp_loop
.Lmp_last:                              # 65..128: first 64 and last 64
    movdqu  (%rsi), %xmm0
    movdqu  16(%rsi), %xmm1
    movdqu  32(%rsi), %xmm2
    movdqu  48(%rsi), %xmm3
    movdqu  -64(%rsi,%rdx), %xmm4
    movdqu  -48(%rsi,%rdx), %xmm5
    movdqu  -32(%rsi,%rdx), %xmm6
    movdqu  -16(%rsi,%rdx), %xmm7
    movdqu  %xmm0, (%rdi)
    movdqu  %xmm1, 16(%rdi)
    movdqu  %xmm2, 32(%rdi)
    movdqu  %xmm3, 48(%rdi)
    movdqu  %xmm4, -64(%rdi,%rdx)
    movdqu  %xmm5, -48(%rdi,%rdx)
    movdqu  %xmm6, -32(%rdi,%rdx)
    movdqu  %xmm7, -16(%rdi,%rdx)
.Lmp_done:
    xor     %eax, %eax
    ret
    .size memprobe_forward_copy, .-memprobe_forward_copy

    # memprobe_probe_byte: one load of the byte at rdi, inside the range the handler recovers, so a probe costs
    # one guarded load: rax = 0 when it could be read, else the trap (rdx = si_addr) from the recovery label.
    .p2align 4
    .globl memprobe_probe_byte
    .hidden memprobe_probe_byte
    .type memprobe_probe_byte, @function
memprobe_probe_byte:
    movzbl  (%rdi), %eax
    xor     %eax, %eax
    ret
    .size memprobe_probe_byte, .-memprobe_probe_byte

    .globl memprobe_forward_copy_recover
    .hidden memprobe_forward_copy_recover
memprobe_forward_copy_recover:          # the handler set rax and rdx
    ret
)");

namespace memprobe {
namespace {
// A fault anywhere in [memprobe_forward_copy, memprobe_forward_copy_recover) resumes at the label: the region registers itself with the guard.
[[maybe_unused]] const bool kRegistered = RegisterGuardedRegion(reinterpret_cast<const void*>(&memprobe_forward_copy), memprobe_forward_copy_recover);
}  // namespace
}  // namespace memprobe
