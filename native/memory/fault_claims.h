// The registry of address claimants: users of the guard that own a fault by the ADDRESS it touched, not by the
// PC that touched it (the access monitor, native/watch/: any code may touch a page it watches, memprobe's own
// guarded copies included). The guard asks the claimants first for every synchronous fault, before the PC check
// of guarded_regions.h, so that a guarded copy over a claimed page is retried and completes rather than being
// recovered as a fault. A claimant that returns true has made the access succeed when retried (or knows it will
// be retried until it does); the guard then returns from the handler, and the kernel's sigreturn retries it.
// A claimant that returns false changed nothing, and the fault goes on to the guarded regions and the chain
// exactly as if the claimant did not exist. Adding a claimant never edits the guard.
//
// Owns: the table of claimants. Must never: allocate, lock or grow once a handler may read it; a claimant must be
// async-signal-safe, save nothing it does not restore, and leave no state behind when it returns false.
#pragma once

#include <signal.h>
#include <ucontext.h>

namespace memprobe {

// Called inside the guard's handler with a synchronous fault (si_code > 0, not BUS_MCEERR_AO).
using FaultClaimant = bool (*)(int signo, siginfo_t* info, ucontext_t* context);

// Adds a claimant. For static initialisers only (on the loading thread, before any fault can reach it).
// Returns true, so that it can initialise a constant.
bool RegisterFaultClaimant(FaultClaimant claimant);

// Whether a registered claimant took the fault. Async-signal-safe: reads a fixed table.
bool ClaimFault(int signo, siginfo_t* info, ucontext_t* context);

}  // namespace memprobe
