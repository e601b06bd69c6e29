// x86-64 (built for target_arch x64 only; inspect_access_aarch64.cc is the aarch64 twin).
// The routines of inspect_access.h. Leaves that never touch the stack, so the recovery label at the end can
// simply return, whatever instruction faulted; rdx carries each routine's result (the handler puts si_addr there).
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
    .type memprobe_load_u8, @function
memprobe_load_u8:                       # rdi = address
    movzbl  (%rdi), %edx
    xor     %eax, %eax
    ret
    .size memprobe_load_u8, .-memprobe_load_u8

    .globl memprobe_load_u16
    .hidden memprobe_load_u16
    .type memprobe_load_u16, @function
memprobe_load_u16:
    movzwl  (%rdi), %edx
    xor     %eax, %eax
    ret
    .size memprobe_load_u16, .-memprobe_load_u16

    .globl memprobe_load_u32
    .hidden memprobe_load_u32
    .type memprobe_load_u32, @function
memprobe_load_u32:
    mov     (%rdi), %edx
    xor     %eax, %eax
    ret
    .size memprobe_load_u32, .-memprobe_load_u32

    .globl memprobe_load_u64
    .hidden memprobe_load_u64
    .type memprobe_load_u64, @function
memprobe_load_u64:
    mov     (%rdi), %rdx
    xor     %eax, %eax
    ret
    .size memprobe_load_u64, .-memprobe_load_u64

    .globl memprobe_store_u8
    .hidden memprobe_store_u8
    .type memprobe_store_u8, @function
memprobe_store_u8:                      # rdi = address, rsi = value
    mov     %sil, (%rdi)
    xor     %eax, %eax
    ret
    .size memprobe_store_u8, .-memprobe_store_u8

    .globl memprobe_store_u16
    .hidden memprobe_store_u16
    .type memprobe_store_u16, @function
memprobe_store_u16:
    mov     %si, (%rdi)
    xor     %eax, %eax
    ret
    .size memprobe_store_u16, .-memprobe_store_u16

    .globl memprobe_store_u32
    .hidden memprobe_store_u32
    .type memprobe_store_u32, @function
memprobe_store_u32:
    mov     %esi, (%rdi)
    xor     %eax, %eax
    ret
    .size memprobe_store_u32, .-memprobe_store_u32

    .globl memprobe_store_u64
    .hidden memprobe_store_u64
    .type memprobe_store_u64, @function
memprobe_store_u64:
    mov     %rsi, (%rdi)
    xor     %eax, %eax
    ret
    .size memprobe_store_u64, .-memprobe_store_u64

    # memprobe_string_length: rdi = text, rsi = limit -> rdx = bytes before the first NUL, or limit.
    # rdx counts the bytes of text covered by the blocks loaded so far.
    .p2align 4
    .globl memprobe_string_length
    .hidden memprobe_string_length
    .type memprobe_string_length, @function
memprobe_string_length:
    xor     %edx, %edx
    test    %rsi, %rsi
    jz      .Lmsl_done
    mov     %edi, %ecx
    and     $15, %ecx                   # text's offset in its block
    mov     %rdi, %r8
    and     $-16, %r8
    pxor    %xmm1, %xmm1
    movdqa  (%r8), %xmm0
    pcmpeqb %xmm1, %xmm0
    pmovmskb %xmm0, %eax
    shr     %cl, %eax                   # bit i: text[i] is NUL
    test    %eax, %eax
    jnz     .Lmsl_found
    mov     $16, %edx
    sub     %rcx, %rdx
.Lmsl_next:
    cmp     %rsi, %rdx
    jae     .Lmsl_limit
    add     $16, %r8
    movdqa  (%r8), %xmm0
    pcmpeqb %xmm1, %xmm0
    pmovmskb %xmm0, %eax
    test    %eax, %eax
    jnz     .Lmsl_found
    add     $16, %rdx
    jmp     .Lmsl_next
.Lmsl_found:
    bsf     %eax, %eax
    add     %rax, %rdx
    cmp     %rsi, %rdx
    cmova   %rsi, %rdx
    xor     %eax, %eax
    ret
.Lmsl_limit:
    mov     %rsi, %rdx
.Lmsl_done:
    xor     %eax, %eax
    ret
    .size memprobe_string_length, .-memprobe_string_length

    # memprobe_find_pattern: rdi = base, rsi = starts, rdx = spec -> rdx = offset of the first match, or starts.
    #   r10 = base, r8 = anchor position / candidate start, rsi = end of the anchor positions, r9 = pairs,
    #   r11 = the block being searched, eax = its candidate bits, xmm2/xmm3 = anchor value/mask.
    # spec: 0 pairs, 8 length, 16 anchor, 32 anchor value x16, 48 anchor mask x16 (PatternSpec).
    .p2align 4
    .globl memprobe_find_pattern
    .hidden memprobe_find_pattern
    .type memprobe_find_pattern, @function
memprobe_find_pattern:
    mov     %rdi, %r10
    mov     16(%rdx), %r8
    add     %rdi, %r8                   # the first anchor position
    add     %r8, %rsi                   # past the last one
    mov     (%rdx), %r9
    movdqa  32(%rdx), %xmm2
    movdqa  48(%rdx), %xmm3
    mov     %r8d, %ecx
    and     $15, %ecx
    mov     %r8, %r11
    and     $-16, %r11
    movdqa  (%r11), %xmm0
    pand    %xmm3, %xmm0
    pcmpeqb %xmm2, %xmm0
    pmovmskb %xmm0, %eax
    shr     %cl, %eax                   # no candidates before the first position
    shl     %cl, %eax
    test    %eax, %eax
    jnz     .Lmfp_candidate
.Lmfp_next:
    add     $16, %r11
.Lmfp_64:                               # four blocks at a time while all four hold anchor positions
    test    $63, %r11d                  # and lie in one 64-byte line, so in one page: a fault in the fourth
    jnz     .Lmfp_16                    # would lose the candidates of the first three
    lea     64(%r11), %rcx
    cmp     %rsi, %rcx
    ja      .Lmfp_16
    movdqa  (%r11), %xmm0
    movdqa  16(%r11), %xmm4
    movdqa  32(%r11), %xmm5
    movdqa  48(%r11), %xmm6
    pand    %xmm3, %xmm0
    pand    %xmm3, %xmm4
    pand    %xmm3, %xmm5
    pand    %xmm3, %xmm6
    pcmpeqb %xmm2, %xmm0
    pcmpeqb %xmm2, %xmm4
    pcmpeqb %xmm2, %xmm5
    pcmpeqb %xmm2, %xmm6
    por     %xmm4, %xmm0
    por     %xmm6, %xmm5
    por     %xmm5, %xmm0
    pmovmskb %xmm0, %eax
    test    %eax, %eax
    jnz     .Lmfp_block                 # one of the four has a candidate: take them one at a time
    add     $64, %r11
    jmp     .Lmfp_64
.Lmfp_16:
    cmp     %rsi, %r11
    jae     .Lmfp_none
.Lmfp_block:
    movdqa  (%r11), %xmm0
    pand    %xmm3, %xmm0
    pcmpeqb %xmm2, %xmm0
    pmovmskb %xmm0, %eax
    test    %eax, %eax
    jz      .Lmfp_next
.Lmfp_candidate:
    bsf     %eax, %ecx
    lea     (%r11,%rcx), %r8
    cmp     %rsi, %r8
    jae     .Lmfp_none                  # past the last anchor position (and so is every later bit)
    sub     16(%rdx), %r8               # the candidate's start
    mov     8(%rdx), %rcx
.Lmfp_verify:                           # from the last byte down: (byte & mask) == masked byte
    sub     $1, %rcx
    jb      .Lmfp_match
    movzbl  (%r8,%rcx), %edi
    and     (%r9,%rcx,2), %dil
    cmp     1(%r9,%rcx,2), %dil
    je      .Lmfp_verify
    lea     -1(%rax), %ecx              # drop this candidate's bit
    and     %ecx, %eax
    jnz     .Lmfp_candidate
    jmp     .Lmfp_next
.Lmfp_match:
    mov     %r8, %rdx
    sub     %r10, %rdx
    xor     %eax, %eax
    ret
.Lmfp_none:
    sub     %r10, %rsi
    sub     16(%rdx), %rsi
    mov     %rsi, %rdx
    xor     %eax, %eax
    ret
    .size memprobe_find_pattern, .-memprobe_find_pattern

    .globl memprobe_inspect_access_recover
    .hidden memprobe_inspect_access_recover
memprobe_inspect_access_recover:        # the handler set rax and rdx
    ret
)");

namespace memprobe {
namespace {
// A fault anywhere in [memprobe_inspect_access_begin, memprobe_inspect_access_recover) resumes at the label: the region registers itself with the guard.
[[maybe_unused]] const bool kRegistered = RegisterGuardedRegion(reinterpret_cast<const void*>(&memprobe_inspect_access_begin), memprobe_inspect_access_recover);
}  // namespace
}  // namespace memprobe
