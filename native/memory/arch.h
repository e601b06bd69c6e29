// The architecture layer: everything the guard, the chain, the copy and the probe need to know about the
// processor, behind one small header per architecture (the way libuv keeps src/unix/linux.c apart from
// src/unix/core.c). Nothing outside these headers reads or edits a signal frame's registers, and nothing outside
// them knows where the user address space ends or what a non-canonical address is.
//
// Each header defines, in namespace memprobe::arch, the same names:
//   kName                         "x64" or "arm64" (Node's process.arch)
//   ProgramCounter(uc)            the PC a signal frame resumes at
//   ResumeAt(uc, label, a, b)     resume at `label` with the routine's two return registers set to a and b
//   ResumedRegisters(uc, &n)      the registers an interrupted instruction resumes with, contiguous in the frame
//   IsPageFaultNote(uc, addr)     the frame's notes say this thread just took a page fault at `addr`
//   FaultAccessOf(uc, info, may_load)  whether the faulting access was a read, a write or an instruction fetch
//   IsGeneralProtection(uc, info) a fault that follows from the instruction and its registers alone
//   IsNonCanonicalTrap(signo, code), IsNonCanonical(address), FirstOutsideUserSpace(base, length)
//   UserAddressEnd(), MappableEnd(), Comparable(address)
//   UseFastStringCopy()           the forward copy's last argument (x86: ERMS)
//   ExecuteOnlyMayBeUnreadable()  a page mapped PROT_EXEC alone may fault a load here (not for signal handlers)
//   kHasFastExit, FastExitPossible(restorer), FrameAllowsFastExit(uc), LeaveWithoutSigreturn(uc)
// Each architecture's guarded routines live in files of their own (forward_copy_<arch>.cc, ...), chosen by
// binding.gyp from target_arch; the routines' contract is the same on both (guarded_access.h).
//
// Runs inside a signal handler where the headers say so: async-signal-safe only.
#pragma once

#include <cstdint>

namespace memprobe::arch {
// What the faulting access was, as far as the frame (or the instruction) tells.
enum class FaultAccess : uint8_t { kRead, kWrite, kExecute, kUnknown };
}  // namespace memprobe::arch

#if defined(__x86_64__)
#include "memory/arch_x86_64.h"
#elif defined(__aarch64__)
#include "memory/arch_aarch64.h"
#else
#error "memprobe supports x86-64 and aarch64 Linux only"
#endif
