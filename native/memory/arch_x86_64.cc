// The x86-64 parts of the architecture layer that are not inline: the fast exit's assembly and the CPU and
// kernel features it depends on, and ERMS for the forward copy. Built only for target_arch x64 (binding.gyp).
#include <cpuid.h>
#include <signal.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <cstddef>

#include "memory/arch.h"

// memprobe_guard_resume(gregs, fpregs): the routine's callee-saved registers, its stack pointer, rax and rdx from
// the context, MXCSR and the x87 control word from its FPU state, then a jump to the recovery label (RIP).
// Indices are glibc's REG_* (checked below).
__asm__(R"(
    .text
    .p2align 4
    .globl memprobe_guard_resume
    .hidden memprobe_guard_resume
    .type memprobe_guard_resume, @function
memprobe_guard_resume:
    ldmxcsr 24(%rsi)
    fldcw   0(%rsi)
    mov     8*11(%rdi), %rbx
    mov     8*10(%rdi), %rbp
    mov     8*4(%rdi), %r12
    mov     8*5(%rdi), %r13
    mov     8*6(%rdi), %r14
    mov     8*7(%rdi), %r15
    mov     8*13(%rdi), %rax
    mov     8*12(%rdi), %rdx
    mov     8*15(%rdi), %rsp
    jmp     *8*16(%rdi)
    .size memprobe_guard_resume, .-memprobe_guard_resume
)");
extern "C" [[noreturn]] void memprobe_guard_resume(const greg_t* registers, const void* fpregs);
static_assert(REG_R12 == 4 && REG_R13 == 5 && REG_R14 == 6 && REG_R15 == 7 && REG_RBP == 10 && REG_RBX == 11 &&
                  REG_RDX == 12 && REG_RAX == 13 && REG_RSP == 15 && REG_RIP == 16,
              "memprobe_guard_resume's register indices");
static_assert(offsetof(struct _libc_fpstate, mxcsr) == 24 && offsetof(struct _libc_fpstate, cwd) == 0,
              "memprobe_guard_resume's FPU state offsets");

namespace memprobe::arch {

namespace {

bool ShadowStackEnabled() {
  constexpr int kArchShstkStatus = 0x5005;  // ARCH_SHSTK_STATUS (Linux 6.6)
  unsigned long features = 0;
  return syscall(SYS_arch_prctl, kArchShstkStatus, &features) == 0 && (features & 1) != 0;
}

bool ProtectionKeysEnabled() {
  unsigned eax, ebx, ecx, edx;
  return __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && ((ecx >> 4) & 1);  // OSPKE
}

bool HasErms() {
  unsigned eax, ebx, ecx, edx;
  return __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && ((ebx >> 9) & 1);
}

}  // namespace

namespace x86_64_detail {
const bool g_has_erms = HasErms();
}

bool FastExitPossible(const void* restorer) {
  return restorer != nullptr && !ShadowStackEnabled() && !ProtectionKeysEnabled();
}

void LeaveWithoutSigreturn(ucontext_t* uc) { memprobe_guard_resume(uc->uc_mcontext.gregs, uc->uc_mcontext.fpregs); }

}  // namespace memprobe::arch
