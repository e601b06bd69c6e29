// Hands a SIGSEGV/SIGBUS that is not memprobe's to the actions that had the signal before the guard, exactly
// as the kernel would have run them, and keeps the record of those actions.
//
// The chain is a list of immutable links, newest first: the action the guard displaced at install, then each
// action that displaced the guard later (taken back by GuardReassert). A link is never changed or freed once
// published; the head of each signal's chain is one atomic pointer, so a handler always sees one whole action.
// A displacer that chains to what it replaced calls the guard's handler again with the same siginfo: that
// call continues below the displacer's link instead of starting over.
//
// What a fault that is not ours gets. The handler value decides first: the kernel ignores SA_SIGINFO for
// SIG_DFL and SIG_IGN, so a {SIG_IGN, SA_SIGINFO} action is "ignore", never a call to address 1.
//
//   link            | si_code > 0: a fault (kernel-generated)           | si_code <= 0: sent (kill, tgkill, sigqueue)
//   ----------------+---------------------------------------------------+---------------------------------------------
//   SIG_DFL         | install SIG_DFL and return: the access repeats    | install SIG_DFL and raise it again
//                   | and the default action ends the process           |
//   SIG_IGN         | as SIG_DFL: the kernel cannot ignore a fault      | ignored
//   a function      | called as (signo, info, context), whether or not SA_SIGINFO is set (the kernel passes all
//                   | three on x86-64), with the thread's mask at delivery plus its sa_mask, plus the signal
//                   | unless SA_NODEFER. SA_RESETHAND: the head becomes SIG_DFL before the call.
//   none (empty)    | as SIG_DFL                                        | as SIG_DFL
//
// Before the head: V8's WebAssembly trap handler for faults, so an out-of-bounds wasm access throws whatever
// replaced Node's handler. Where V8's symbol is missing, Node's own handler (remembered once seen in the chain)
// ends the chain instead of SIG_DFL: it handles wasm traps and otherwise restores the default and re-raises.
//
// After a function returns from a fault: if it changed the registers, or the access now succeeds (a probe of
// the address, read or write as the fault was), the fault was fixed and the retried instruction starts anew. If
// not, the same fault (signal, address, PC) coming straight back on this thread ends the process by the
// default action instead of running the function again: a real crash never spins forever behind a handler that
// only takes note (libuv's, behind process.on('SIGSEGV')).
//
// Runs inside a signal handler (ChainToPrevious): async-signal-safe only; initial-exec TLS only. The other
// functions run in normal code, serialised by the guard's install mutex.
#pragma once

#include <signal.h>

#include <cstddef>

namespace memprobe {

// The action at the bottom of the chain: what the guard replaced at install.
void ChainStart(int signo, const struct sigaction& original);

// `displacer` replaced the guard's handler and the guard is taking the signal back: it becomes the head.
// An action equal to the head is not added twice.
void ChainDisplacedBy(int signo, const struct sigaction& displacer);

// The handler's hand-off for a fault (or a sent signal) that is not ours. `ours` says whether a signal's
// disposition is still the guard's handler (a system call).
void ChainToPrevious(int signo, siginfo_t* info, void* context, bool (*ours)(int signo));

// What the head is: "default", "ignore", "node-wasm-trap", "segfault-handler" or "handler <symbol or address>".
void ChainDescribe(int signo, char* out, size_t size);

// Test hook: whether to call V8's WebAssembly trap handler directly (it is looked up once at install).
void ChainUseV8TrapHandler(bool use);

}  // namespace memprobe
