// aarch64 behind the architecture layer (arch.h): the signal frame's regs/pc/fault_address and its esr_context
// record, the 48-bit user half, top-byte-ignore. No fast exit: the handler always leaves by rt_sigreturn.
// Include arch.h, not this file.
//
// Read or write: the kernel puts the fault's syndrome (ESR_EL1) in an esr_context record of the frame's
// __reserved area; data aborts say write-or-read in WnR, instruction aborts have their own class. Where the
// record is missing (qemu-user writes none), an instruction fetch is the fault whose address is its own PC, and
// anything else is classified by decoding the faulting instruction (read with a guarded load: the page may be
// execute-only) from the A64 load/store encodings (arch_aarch64.cc); what no rule covers (SVE, MTE tag stores)
// is kUnknown, which the chain probes as a read only.
//
// Addresses: user space is [0, 2^48) (the default mmap window, also under 52-bit VA kernels; smaller VA sizes
// map nothing above their end). There is no non-canonical class: a load anywhere else faults with SEGV_MAPERR
// (si_addr may be 0 under qemu). Top-byte-ignore is on for user space: bits 63..56 of a data address are not
// translated, so a tagged address names the memory of its untagged one, and memprobe says what the hardware
// does (a probe or copy there reads the untagged memory; the address reported stays the one asked for). The
// kernel clears the tag in si_addr, hence Comparable().
//
// Runs inside a signal handler (everything taking a ucontext): async-signal-safe only.
#pragma once

#include <signal.h>
#include <ucontext.h>

#include <cstddef>
#include <cstdint>

#include "common/machine.h"

namespace memprobe::arch {

inline constexpr const char* kName = "arm64";

inline uintptr_t ProgramCounter(const ucontext_t* uc) { return static_cast<uintptr_t>(uc->uc_mcontext.pc); }

// A guarded routine's recovery label returns x0 (the trap) and x1 (si_addr).
inline void ResumeAt(ucontext_t* uc, const char* label, uint64_t first, uint64_t second) {
  uc->uc_mcontext.regs[0] = first;
  uc->uc_mcontext.regs[1] = second;
  uc->uc_mcontext.pc = reinterpret_cast<uintptr_t>(label);
}

// x0 … x30, sp, pc, pstate: contiguous in the frame, after fault_address.
static_assert(offsetof(mcontext_t, sp) == offsetof(mcontext_t, regs) + 31 * 8 &&
                  offsetof(mcontext_t, pc) == offsetof(mcontext_t, sp) + 8 &&
                  offsetof(mcontext_t, pstate) == offsetof(mcontext_t, pc) + 8,
              "the resumed registers are contiguous");
inline const uint64_t* ResumedRegisters(const ucontext_t* uc, size_t* count) {
  *count = 31 + 3;
  // From the whole mcontext, not from regs[]: the span runs past that array into sp, pc and pstate.
  const auto* frame = reinterpret_cast<const unsigned char*>(&uc->uc_mcontext);
  return reinterpret_cast<const uint64_t*>(frame + offsetof(mcontext_t, regs));
}

// The fault's syndrome from the frame's esr_context record, or 0 when there is none.
inline uint64_t FrameSyndrome(const ucontext_t* uc) {
  constexpr uint32_t kEsrMagic = 0x45535201;  // ESR_MAGIC (asm/sigcontext.h)
  const auto* area = reinterpret_cast<const unsigned char*>(&uc->uc_mcontext.__reserved);
  const size_t size = sizeof uc->uc_mcontext.__reserved;
  for (size_t offset = 0; offset + 8 <= size;) {
    uint32_t magic, length;
    __builtin_memcpy(&magic, area + offset, 4);
    __builtin_memcpy(&length, area + offset + 4, 4);
    if (magic == 0 || length < 8 || length > size - offset) return 0;
    if (magic == kEsrMagic && length >= 16) {
      uint64_t esr;
      __builtin_memcpy(&esr, area + offset + 8, 8);
      return esr;
    }
    offset += length;
  }
  return 0;
}

inline constexpr uint64_t kClassInstructionAbort = 0x20;  // ESR_ELx_EC_IABT_LOW
inline constexpr uint64_t kClassDataAbort = 0x24;         // ESR_ELx_EC_DABT_LOW
inline constexpr uint64_t kWriteNotRead = uint64_t{1} << 6;
inline uint64_t SyndromeClass(uint64_t esr) { return (esr >> 26) & 0x3f; }

// The kernel notes each fault it turns into a signal (fault_address, ESR) in the thread and copies the notes
// into every signal frame it builds. Without the ESR record (qemu), the address alone.
inline bool IsPageFaultNote(const ucontext_t* uc, uintptr_t address) {
  if (uc->uc_mcontext.fault_address != address) return false;
  const uint64_t esr = FrameSyndrome(uc);
  return esr == 0 || SyndromeClass(esr) == kClassDataAbort || SyndromeClass(esr) == kClassInstructionAbort;
}

// Without a syndrome: the instruction at `pc` decoded (arch_aarch64.cc; a guarded load reads it).
FaultAccess DecodedAccess(uintptr_t pc);

// `may_load`: whether the instruction may be read with a guarded load (the guard's handler has the signals and
// they are unblocked); without it an access the syndrome does not give is kUnknown.
inline FaultAccess FaultAccessOf(const ucontext_t* uc, const siginfo_t* info, bool may_load) {
  const uint64_t esr = FrameSyndrome(uc);
  if (esr != 0) {
    if (SyndromeClass(esr) == kClassInstructionAbort) return FaultAccess::kExecute;
    if (SyndromeClass(esr) == kClassDataAbort) return (esr & kWriteNotRead) ? FaultAccess::kWrite : FaultAccess::kRead;
    return FaultAccess::kUnknown;
  }
  const uintptr_t pc = ProgramCounter(uc);
  if (reinterpret_cast<uintptr_t>(info->si_addr) == pc) return FaultAccess::kExecute;  // a fetch reports its PC
  return may_load ? DecodedAccess(pc) : FaultAccess::kUnknown;
}

// No fault on aarch64 follows from the instruction alone the way x86's general-protection fault does.
inline bool IsGeneralProtection(const ucontext_t*, const siginfo_t*) { return false; }

inline constexpr uint64_t kUserAddressEnd = uint64_t{1} << 48;
inline uint64_t UserAddressEnd() { return kUserAddressEnd; }
inline uint64_t MappableEnd() { return kUserAddressEnd; }  // TASK_SIZE_64 with 48-bit VA

inline bool IsNonCanonical(uint64_t) { return false; }
inline bool IsNonCanonicalTrap(int, int) { return false; }

// Where the kernel gave no usable address (qemu: si_addr 0 past the user space), the first offset whose
// untagged address lies at or above the user-space end is the hint the exact pass starts from.
inline constexpr uintptr_t kTagMask = (uintptr_t{1} << 56) - 1;
inline uintptr_t Comparable(uintptr_t address) { return address & kTagMask; }
inline size_t FirstOutsideUserSpace(uintptr_t base, size_t length) {
  const uintptr_t untagged = Comparable(base);
  if (untagged >= kUserAddressEnd) return 0;
  return length > kUserAddressEnd - untagged ? kUserAddressEnd - untagged : length;
}

inline bool UseFastStringCopy() { return false; }

// Kernels from 6.2 on CPUs with EPAN (Armv8.7) map PROT_EXEC alone without read permission; others make it
// readable. Nothing user space can read says which, so arch_aarch64.cc asks the kernel to read such a page once
// (a write(2) from it: EFAULT where a load would fault). Not from a signal handler.
bool ExecuteOnlyMayBeUnreadable();

inline constexpr bool kHasFastExit = false;
inline bool FastExitPossible(const void*) { return false; }
inline bool FrameAllowsFastExit(const ucontext_t*) { return false; }
[[noreturn]] inline void LeaveWithoutSigreturn(ucontext_t*) { __builtin_trap(); }

// The thread's floating-point control register, which sigreturn restores from the frame (fpsimd_context).
struct ControlState {
  uint64_t fpcr;
  bool operator==(const ControlState& other) const { return fpcr == other.fpcr; }
};
inline ControlState ReadControlState() {
  ControlState state{};
  __asm__ volatile("mrs %0, fpcr" : "=r"(state.fpcr));
  return state;
}
inline void WriteControlState(const ControlState& state) { __asm__ volatile("msr fpcr, %0" : : "r"(state.fpcr)); }
// Another rounding mode (RMode, bits 22-23).
inline ControlState DistinctControlState(const ControlState& state) { return ControlState{state.fpcr ^ (uint64_t{3} << 22)}; }
template <typename Visit>
void ForEachControl(const ControlState& state, Visit visit) {
  visit("fpcr", true, state.fpcr);
}

}  // namespace memprobe::arch
