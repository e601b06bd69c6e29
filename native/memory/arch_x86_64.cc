// The x86-64 parts of the architecture layer that are not inline: the fast exit's assembly and the CPU and
// kernel features it depends on, and ERMS for the forward copy. Built only for target_arch x64 (binding.gyp).
#include <cpuid.h>
#include <signal.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <cstddef>

#include "common/libc.h"
#include "memory/arch.h"

// memprobe_guard_resume(gregs, fpregs, pkru, restore_pkru): the routine's callee-saved registers from the
// context, MXCSR and the x87 control word from its FPU state; then, when asked, PKRU (WRPKRU takes eax, ecx = 0,
// edx = 0), with the routine's rax, rdx, stack pointer and RIP already in scratch registers, so that nothing is
// read from memory under the interrupted rights; then rax, rdx, rsp and the jump to the recovery label (RIP).
// r8–r11 are scratch at the label (the routine's caller treats them as clobbered, guarded_access.h).
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
    mov     8*13(%rdi), %r8
    mov     8*12(%rdi), %r9
    mov     8*15(%rdi), %r10
    mov     8*16(%rdi), %r11
    test    %ecx, %ecx
    jz      1f
    mov     %edx, %eax
    xor     %ecx, %ecx
    xor     %edx, %edx
    wrpkru
1:
    mov     %r8, %rax
    mov     %r9, %rdx
    mov     %r10, %rsp
    jmp     *%r11
    .size memprobe_guard_resume, .-memprobe_guard_resume
)");
extern "C" [[noreturn]] void memprobe_guard_resume(const greg_t* registers, const void* fpregs, uint32_t pkru,
                                                   uint32_t restore_pkru);
static_assert(REG_R12 == 4 && REG_R13 == 5 && REG_R14 == 6 && REG_R15 == 7 && REG_RBP == 10 && REG_RBX == 11 &&
                  REG_RDX == 12 && REG_RAX == 13 && REG_RSP == 15 && REG_RIP == 16,
              "memprobe_guard_resume's register indices");
static_assert(offsetof(memprobe::FpuState, mxcsr) == 24 && offsetof(memprobe::FpuState, cwd) == 0,
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

// Where PKRU sits in a standard-format XSAVE area (the format of a signal frame): CPUID leaf 0xD, sub-leaf 9
// gives its size (eax) and offset (ebx). 0 when protection keys are off or the CPU does not say.
uint32_t PkruOffset() {
  unsigned size, offset, ecx, edx;
  if (!ProtectionKeysEnabled() || !__get_cpuid_count(0xD, 9, &size, &offset, &ecx, &edx)) return 0;
  return size >= sizeof(uint32_t) ? offset : 0;
}

uint32_t ReadPkru() {
  uint32_t eax, edx;
  __asm__ volatile("rdpkru" : "=a"(eax), "=d"(edx) : "c"(0));
  return eax;
}

bool HasErms() {
  unsigned eax, ebx, ecx, edx;
  return __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && ((ebx >> 9) & 1);
}

}  // namespace

namespace x86_64_detail {
const bool g_has_erms = HasErms();
}

namespace x86_64_detail {
uint32_t g_pkru_offset = 0;
}

bool ExecuteOnlyMayBeUnreadable() { return ProtectionKeysEnabled(); }

bool FastExitPossible(const void* restorer) {
  if (restorer == nullptr || ShadowStackEnabled()) return false;
  x86_64_detail::g_pkru_offset = PkruOffset();
  return !ProtectionKeysEnabled() || x86_64_detail::g_pkru_offset != 0;
}

// PKRU as sigreturn would restore it: the frame's slot, or 0 (its initial value) where XSTATE_BV says the
// component was in its initial state and XSAVE did not write it.
void LeaveWithoutSigreturn(ucontext_t* uc) {
  const auto* fpu = reinterpret_cast<const uint8_t*>(uc->uc_mcontext.fpregs);
  const uint32_t offset = x86_64_detail::g_pkru_offset;
  uint32_t pkru = 0;
  if (offset != 0) {
    uint64_t in_use;
    __builtin_memcpy(&in_use, fpu + x86_64_detail::kXstateHeaderOffset, sizeof in_use);
    if (in_use & x86_64_detail::kPkruFeature) __builtin_memcpy(&pkru, fpu + offset, sizeof pkru);
  }
  memprobe_guard_resume(uc->uc_mcontext.gregs, fpu, pkru, offset != 0);
}

ControlState ReadControlState() {
  ControlState state{};
  __asm__ volatile("stmxcsr %0" : "=m"(state.mxcsr) : : "memory");
  __asm__ volatile("fnstcw %0" : "=m"(state.x87_control) : : "memory");
  state.has_pkru = ProtectionKeysEnabled();
  if (state.has_pkru) state.pkru = ReadPkru();
  return state;
}

void WriteControlState(const ControlState& state) {
  __asm__ volatile("ldmxcsr %0" : : "m"(state.mxcsr) : "memory");
  __asm__ volatile("fldcw %0" : : "m"(state.x87_control) : "memory");
  if (state.has_pkru) __asm__ volatile("wrpkru" : : "a"(state.pkru), "c"(0), "d"(0) : "memory");
}

ControlState DistinctControlState(const ControlState& state) {
  ControlState distinct = state;
  distinct.mxcsr ^= 0x6000;         // rounding control (bits 13-14)
  distinct.x87_control ^= 0x0e00;   // rounding (10-11) and precision (8-9, one bit of it)
  distinct.pkru ^= uint32_t{1} << 31;  // key 15's write-disable bit
  return distinct;
}

}  // namespace memprobe::arch
