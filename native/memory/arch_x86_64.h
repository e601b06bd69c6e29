// x86-64 behind the architecture layer (arch.h): glibc's gregs, the page-fault error code, the 47-bit user half
// and its non-canonical rule, ERMS, and the fast exit that leaves the handler without rt_sigreturn (its
// assembly, the CPUID and arch_prctl checks live in arch_x86_64.cc). Include arch.h, not this file.
//
// Runs inside a signal handler (everything taking a ucontext): async-signal-safe only.
#pragma once

#include <signal.h>
#include <ucontext.h>

#include <cstddef>
#include <cstdint>

#include "common/machine.h"

namespace memprobe::arch {

inline constexpr const char* kName = "x64";

inline uintptr_t ProgramCounter(const ucontext_t* uc) { return static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]); }

// A guarded routine's recovery label returns rax (the trap) and rdx (si_addr).
inline void ResumeAt(ucontext_t* uc, const char* label, uint64_t first, uint64_t second) {
  greg_t* registers = uc->uc_mcontext.gregs;
  registers[REG_RAX] = static_cast<greg_t>(first);
  registers[REG_RDX] = static_cast<greg_t>(second);
  registers[REG_RIP] = reinterpret_cast<greg_t>(label);
}

// REG_R8 … REG_EFL: the general registers, RSP, RIP and the flags, without the kernel's notes about the
// exception that follow them.
static_assert(REG_R8 == 0 && REG_EFL == 17, "the resumed registers come first in gregs");
inline const uint64_t* ResumedRegisters(const ucontext_t* uc, size_t* count) {
  *count = REG_EFL + 1;
  return reinterpret_cast<const uint64_t*>(uc->uc_mcontext.gregs);
}

inline constexpr greg_t kPageFaultWrite = 0x2;              // x86 page-fault error code: a write access
inline constexpr greg_t kPageFaultInstructionFetch = 0x10;  // an instruction fetch
inline constexpr greg_t kTrapPageFault = 14;                // X86_TRAP_PF

// The kernel notes each exception it turns into a signal (trap number, error code, CR2) and copies the notes
// into every signal frame it builds.
inline bool IsPageFaultNote(const ucontext_t* uc, uintptr_t address) {
  const greg_t* registers = uc->uc_mcontext.gregs;
  return registers[REG_TRAPNO] == kTrapPageFault && static_cast<uintptr_t>(registers[REG_CR2]) == address;
}

// From the page-fault error code; only meaningful where IsPageFaultNote holds.
// `may_load` is for the architectures that need a guarded load to tell.
inline FaultAccess FaultAccessOf(const ucontext_t* uc, const siginfo_t*, bool /*may_load*/) {
  const greg_t error = uc->uc_mcontext.gregs[REG_ERR];
  if (error & kPageFaultInstructionFetch) return FaultAccess::kExecute;
  return (error & kPageFaultWrite) ? FaultAccess::kWrite : FaultAccess::kRead;
}

// A general-protection fault (a non-canonical address, among others): SI_KERNEL without a page fault's trap.
inline bool IsGeneralProtection(const ucontext_t* uc, const siginfo_t* info) {
  return info->si_code == SI_KERNEL && uc->uc_mcontext.gregs[REG_TRAPNO] != kTrapPageFault;
}

// The lower canonical half with 4-level paging (and the default mmap window with 5-level paging).
inline constexpr uint64_t kUserAddressEnd = uint64_t{1} << 47;
inline uint64_t UserAddressEnd() { return kUserAddressEnd; }
// TASK_SIZE: the last page below 2^47 is never mapped.
inline uint64_t MappableEnd() { return kUserAddressEnd - GetMachine().page_size; }

// A load outside [0, 2^47) and [2^64 - 2^47, 2^64) raises a general-protection fault (SIGSEGV, SI_KERNEL,
// si_addr 0).
inline bool IsNonCanonical(uint64_t address) {
  const uint64_t top = address >> 47;
  return top != 0 && top != 0x1ffff;
}
inline bool IsNonCanonicalTrap(int signo, int code) { return signo == SIGSEGV && code == SI_KERNEL; }

// The first offset of [base, base + length) outside the lower canonical half of a 48-bit address space, or
// `length` if none. Only a hint where the kernel said "non-canonical" (no address): with 5-level paging the
// real boundary lies higher, and the exact pass then finds it.
inline size_t FirstOutsideUserSpace(uintptr_t base, size_t length) {
  constexpr uintptr_t kUpperBegin = ~uintptr_t{0} << 47;
  if (base >= kUpperBegin) return length;
  if (base >= kUserAddressEnd) return 0;
  return length > kUserAddressEnd - base ? kUserAddressEnd - base : length;
}

// An address as the kernel reports it in si_addr: on x86-64, exactly as accessed.
inline uintptr_t Comparable(uintptr_t address) { return address; }

namespace x86_64_detail {
extern const bool g_has_erms;  // fast `rep movsb` (enhanced REP MOVSB/STOSB), read once at load
}
inline bool UseFastStringCopy() { return x86_64_detail::g_has_erms; }

// Execute-only pages exist only with protection keys: where the kernel has them on (OSPKE), it gives a mapping
// made PROT_EXEC alone a key that denies reads; without them `--x` reads as `r-x`. Not from a signal handler.
bool ExecuteOnlyMayBeUnreadable();

// Leaving the handler without rt_sigreturn (guard.h): restores the routine's callee-saved registers, stack
// pointer, rax, rdx, MXCSR, x87 control word and, where protection keys are on, PKRU from the frame and jumps
// to its RIP.
inline constexpr bool kHasFastExit = true;
// Whether the process allows it at all: a restorer to recognise, no shadow stack (it would keep the handler's
// frame), and where protection keys are on, a PKRU slot in the XSAVE layout (the kernel runs a handler with the
// default PKRU; the interrupted one is in the frame's XSAVE area, component 9, at the offset CPUID leaf 0xD gives).
bool FastExitPossible(const void* restorer);
namespace x86_64_detail {
extern uint32_t g_pkru_offset;  // of PKRU in the frame's XSAVE area; 0 where protection keys are off
inline constexpr uint64_t kPkruFeature = uint64_t{1} << 9;
// The kernel's struct _fpx_sw_bytes (asm/sigcontext.h; glibc and musl spell it differently, or not at all).
struct XsaveSoftwareBytes {
  uint32_t magic1;  // FP_XSTATE_MAGIC1 when the FPU area is an XSAVE area
  uint32_t extended_size;
  uint64_t xfeatures;  // the components the area has room for
  uint32_t xstate_size;
  uint32_t reserved[7];
};
inline constexpr uint32_t kXstateMagic = 0x46505853;
inline constexpr size_t kSoftwareBytesOffset = 464;  // in the 512-byte legacy area
inline constexpr size_t kXstateHeaderOffset = 512;   // XSTATE_BV: the components not in their initial state
}  // namespace x86_64_detail
// Whether this frame has what the jump restores: the FPU state, and with protection keys an XSAVE area that
// holds PKRU (its software bytes, at 464 in the legacy area, say what the kernel saved).
inline bool FrameAllowsFastExit(const ucontext_t* uc) {
  const auto* fpu = reinterpret_cast<const uint8_t*>(uc->uc_mcontext.fpregs);
  if (fpu == nullptr) return false;
  const uint32_t offset = x86_64_detail::g_pkru_offset;
  if (offset == 0) return true;
  const auto* software =
      reinterpret_cast<const x86_64_detail::XsaveSoftwareBytes*>(fpu + x86_64_detail::kSoftwareBytesOffset);
  return software->magic1 == x86_64_detail::kXstateMagic && (software->xfeatures & x86_64_detail::kPkruFeature) &&
         software->xstate_size >= offset + sizeof(uint32_t);
}
[[noreturn]] void LeaveWithoutSigreturn(ucontext_t* uc);

// The thread's floating-point and protection-key controls: what sigreturn restores from the frame and the fast
// exit restores by hand. The guard proves once, at install, that a recovered fault leaves them as they were.
struct ControlState {
  uint32_t mxcsr;
  uint16_t x87_control;
  bool has_pkru;
  uint32_t pkru;
  bool operator==(const ControlState& other) const {
    return mxcsr == other.mxcsr && x87_control == other.x87_control && has_pkru == other.has_pkru &&
           (!has_pkru || pkru == other.pkru);
  }
};
ControlState ReadControlState();
void WriteControlState(const ControlState& state);
// `state` with every control changed in a way harmless for a few instructions: another rounding mode for SSE
// and x87, another x87 precision, and with protection keys key 15's write access flipped.
ControlState DistinctControlState(const ControlState& state);
// Each control by name, for the test hook: visit(name, present, value).
template <typename Visit>
void ForEachControl(const ControlState& state, Visit visit) {
  visit("mxcsr", true, state.mxcsr);
  visit("x87Control", true, state.x87_control);
  visit("pkru", state.has_pkru, state.pkru);
}

}  // namespace memprobe::arch
