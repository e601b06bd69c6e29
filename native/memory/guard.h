// The process-wide SIGSEGV/SIGBUS handler. A fault is ours when the kernel raised it (si_code > 0) at a PC
// inside a guarded region that registered itself (guarded_regions.h: the assembly copy, the guarded accesses,
// the inspect area's loads, stores and searches; the guard names none of them). Then the handler writes the trap into
// the routine's return registers and resumes it at the region's recovery label, which returns. Nothing else is
// ever taken for ours, however the fault came about (HotSpot's SafeFetch works the same way), and the no-fault
// path has no recovery point, no TLS and no system call.
//
// Leaving the handler: normally through sigreturn with the edited context. Where that is known to change
// nothing the routine relies on (the kernel called the handler directly, no shadow stack, no protection keys,
// the alternate stack was not auto-disarmed), it restores the routine's registers, stack pointer, MXCSR and x87
// control word from the context and jumps to the label instead, which saves the rt_sigreturn. That fast exit is
// x86-64's only (arch.h: kHasFastExit); on aarch64 the handler always returns through sigreturn.
//
// Owns: installing the handler once per process, taking it back from later installers (the displacer then
// joins the chain, fault_chain.h), the status. Must never: allocate, lock, print or throw inside the handler or
// anything it calls; touch TLS from the handler unless it is MEMPROBE_SIGNAL_SAFE_TLS (libc.h).
// The folder native/memory/ may never: include a header of another folder above it (probe/, inspect/, signals/,
// binding/), touch the signal thread or its masks, or allocate, lock or call stdio inside a handler.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/libc.h"
#include "memory/arch.h"

namespace memprobe {

namespace guard_detail {
extern __thread bool t_thread_prepared MEMPROBE_SIGNAL_SAFE_TLS;
void UnblockFaultSignalsOnThisThread();
}  // namespace guard_detail

// Installs the handler (idempotent, thread-safe). Returns 0 or an errno.
int GuardInstall();

// Takes the handler back for each signal where another one replaced it; the displacer becomes the head of the
// chain faults that are not ours go to. Two sigaction queries when nothing changed. Returns how many signals
// were taken back. Callers: the JavaScript thread once per event-loop turn (binding/guard_ownership.h), each
// guarded job on the threadpool, and lib/memory/guard.ts after an addon loads or a fault-signal listener changes.
int GuardReassert();

struct GuardStatus {
  bool installed;         // ours for both signals, now
  char previous[2][128];  // SIGSEGV, SIGBUS: the head of each chain (fault_chain.h ChainDescribe)
  uint64_t reasserted;
};
GuardStatus GuardGetStatus();

// A thread that blocks SIGSEGV/SIGBUS dies on a fault whatever handler is installed: unblock them once per thread.
inline void GuardPrepareThread() {
  if (!guard_detail::t_thread_prepared) guard_detail::UnblockFaultSignalsOnThisThread();
}

// Test and benchmark hooks: leave the handler by sigreturn always (false) or where possible without (true,
// the default when the process allows it); call V8's WebAssembly trap handler directly or not.
void GuardSetFastExit(bool enabled);
void GuardUseV8TrapHandler(bool use);

// Whether this process can leave the handler without sigreturn at all (decided and proved at install).
bool GuardFastExitPossible();
// Recovers one guarded read of a PROT_NONE page with the thread's controls (arch::ControlState: x86 MXCSR, x87
// control word, PKRU; arm64 FPCR) set to distinctive values: `set` holds those, `after` what the thread had once
// the routine returned; the thread's own controls are restored. False if no fault was recovered. For the
// install's proof and the tests.
bool GuardRecoverOneFault(arch::ControlState* set, arch::ControlState* after);
// Benchmark hook: `count` guarded reads of one PROT_NONE page in a row, each recovered; how many were. The guard's
// own share of a fault, without any caller's work around it.
uint64_t GuardRecoverFaults(uint64_t count);

}  // namespace memprobe
