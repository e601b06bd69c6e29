// x86-64 (built for target_arch x64 only): memprobe_find_pattern_avx2 (inspect_access.h), the pattern search that
// tests two bytes of the pattern 32 positions at a time. A region of its own, registered with the guard like
// inspect_access_x86_64.cc's, because its recovery label must clear the upper YMM halves (vzeroupper) before
// returning to code that may use SSE: a leaf that never touches the stack, so the label can simply return.
#include "inspect/inspect_access.h"
#include "memory/guarded_regions.h"

__asm__(R"(
    .text
    .p2align 4
    .globl memprobe_pattern_avx2_begin
    .hidden memprobe_pattern_avx2_begin
memprobe_pattern_avx2_begin:

    # memprobe_find_pattern_avx2: rdi = base, rsi = starts, rdx = spec -> rdx = offset of the first match, or starts.
    #   r10 = base, r8 = near position / candidate start, rsi = end of the near positions, r9 = pairs,
    #   r11 = the aligned 32-byte block of near positions being searched, eax = its candidate bits,
    #   ymm2/ymm3 = near value/mask, ymm4/ymm5 = far value/mask.
    # spec (PatternSpec): 0 pairs, 8 length, 64 near, 72 distance, 80 page mask, 88 last pair offset,
    #   96 near value, 97 near mask, 98 far value, 99 far mask.
    .p2align 4
    .globl memprobe_find_pattern_avx2
    .hidden memprobe_find_pattern_avx2
    .type memprobe_find_pattern_avx2, @function
memprobe_find_pattern_avx2:
    mov     %rdi, %r10
    mov     64(%rdx), %r8
    add     %rdi, %r8                   # the first near position
    add     %r8, %rsi                   # past the last one
    mov     (%rdx), %r9
    vpbroadcastb 96(%rdx), %ymm2
    vpbroadcastb 97(%rdx), %ymm3
    vpbroadcastb 98(%rdx), %ymm4
    vpbroadcastb 99(%rdx), %ymm5
    mov     %r8d, %ecx
    and     $31, %ecx
    mov     %r8, %r11
    and     $-32, %r11
    vpand   (%r11), %ymm3, %ymm0
    vpcmpeqb %ymm2, %ymm0, %ymm0
    vpmovmskb %ymm0, %eax
    shr     %cl, %eax                   # no candidates before the first position
    shl     %cl, %eax
    test    %eax, %eax
    jnz     .Lfpa_candidate
.Lfpa_next:
    add     $32, %r11
.Lfpa_pair:                             # two blocks and their far blocks at a time, while all four hold bytes
    lea     64(%r11), %rcx              # of positions searched and lie in the page of the first: nothing but the
    cmp     %rsi, %rcx                  # first load can meet an unreadable page, so a fault loses no candidate
    ja      .Lfpa_one
    mov     %r11, %rcx
    and     80(%rdx), %rcx
    cmp     88(%rdx), %rcx
    ja      .Lfpa_one
    mov     72(%rdx), %rcx
    vpand   (%r11), %ymm3, %ymm0
    vpand   32(%r11), %ymm3, %ymm1
    vpand   (%r11,%rcx), %ymm5, %ymm6
    vpand   32(%r11,%rcx), %ymm5, %ymm7
    vpcmpeqb %ymm2, %ymm0, %ymm0
    vpcmpeqb %ymm2, %ymm1, %ymm1
    vpcmpeqb %ymm4, %ymm6, %ymm6
    vpcmpeqb %ymm4, %ymm7, %ymm7
    vpand   %ymm6, %ymm0, %ymm0
    vpand   %ymm7, %ymm1, %ymm1
    vpor    %ymm1, %ymm0, %ymm6
    vptest  %ymm6, %ymm6
    jnz     .Lfpa_pair_found
    add     $64, %r11
    jmp     .Lfpa_pair
.Lfpa_pair_found:                       # the first block's candidates, or else the second's
    vpmovmskb %ymm0, %eax
    test    %eax, %eax
    jnz     .Lfpa_candidate
    add     $32, %r11
    vpmovmskb %ymm1, %eax
    jmp     .Lfpa_candidate
.Lfpa_one:                              # one block, the near byte alone
    cmp     %rsi, %r11
    jae     .Lfpa_none
    vpand   (%r11), %ymm3, %ymm0
    vpcmpeqb %ymm2, %ymm0, %ymm0
    vpmovmskb %ymm0, %eax
    test    %eax, %eax
    jz      .Lfpa_next
.Lfpa_candidate:
    bsf     %eax, %ecx
    lea     (%r11,%rcx), %r8
    cmp     %rsi, %r8
    jae     .Lfpa_none                  # past the last near position (and so is every later bit)
    sub     64(%rdx), %r8               # the candidate's start
    mov     8(%rdx), %rcx
.Lfpa_verify:                           # from the last byte down: (byte & mask) == masked byte
    sub     $1, %rcx
    jb      .Lfpa_match
    movzbl  (%r8,%rcx), %edi
    and     (%r9,%rcx,2), %dil
    cmp     1(%r9,%rcx,2), %dil
    je      .Lfpa_verify
    lea     -1(%rax), %ecx              # drop this candidate's bit
    and     %ecx, %eax
    jnz     .Lfpa_candidate
    jmp     .Lfpa_next
.Lfpa_match:
    mov     %r8, %rdx
    sub     %r10, %rdx
    xor     %eax, %eax
    vzeroupper
    ret
.Lfpa_none:
    sub     %r10, %rsi
    sub     64(%rdx), %rsi
    mov     %rsi, %rdx
    xor     %eax, %eax
    vzeroupper
    ret
    .size memprobe_find_pattern_avx2, .-memprobe_find_pattern_avx2

    .globl memprobe_pattern_avx2_recover
    .hidden memprobe_pattern_avx2_recover
memprobe_pattern_avx2_recover:          # the handler set rax and rdx
    vzeroupper
    ret
)");

extern "C" {
extern const char memprobe_pattern_avx2_begin[];
extern const char memprobe_pattern_avx2_recover[];
}

namespace memprobe {
namespace {
// A fault anywhere in [memprobe_pattern_avx2_begin, memprobe_pattern_avx2_recover) resumes at the label.
[[maybe_unused]] const bool kRegistered = RegisterGuardedRegion(reinterpret_cast<const void*>(&memprobe_pattern_avx2_begin), memprobe_pattern_avx2_recover);
}  // namespace
}  // namespace memprobe
