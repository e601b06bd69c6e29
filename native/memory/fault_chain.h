// Hands a SIGSEGV/SIGBUS that is not memprobe's to the actions that had the signal before the guard, exactly
// as the kernel would have run them, and keeps the record of those actions.
//
// The chain is a list of immutable links, newest first: the action the guard displaced at install, then each
// action that displaced the guard later (taken back by GuardReassert). A link is never changed or freed once
// published; the head of each signal's chain is one atomic pointer, so a handler always sees one whole action.
// A displacer that chains to what it replaced calls the guard's handler again with the same siginfo and context:
// that call, recognised by running deeper on the stack than the chain's own call and by handing on the same
// signal, code, address and registers, continues below the displacer's link instead of starting over. A
// function that leaves by siglongjmp leaves that record behind; a later fault cannot match it (deeper on the
// stack it has another stack pointer, at the same depth it runs no deeper than the dead frame).
//
// What a signal that is not ours gets. Three kinds: a page fault that repeats (the kernel's notes in the frame,
// trap number and CR2, say this thread just took a page fault at si_addr, and the same access still fails: a
// guarded load or store, or for an instruction fetch /proc/self/maps); any other si_code > 0 (a general-protection
// or alignment fault, or a signal the process queued itself with a positive si_code: nothing proves it comes
// back); and a sent signal (si_code <= 0: kill, tgkill, sigqueue), with BUS_MCEERR_AO, the kernel's report of
// memory corruption found in the background, delivered at no particular instruction. The handler value decides
// first: the kernel ignores SA_SIGINFO for SIG_DFL and SIG_IGN, so {SIG_IGN, SA_SIGINFO} is "ignore", never a call
// to address 1.
//
//   link        | a page fault that repeats     | another si_code > 0           | sent, or BUS_MCEERR_AO
//   ------------+-------------------------------+-------------------------------+-------------------------------
//   SIG_DFL     | install SIG_DFL and return:   | install SIG_DFL and queue the signal again to this thread with its
//               | the access repeats and the    | own siginfo (rt_tgsigqueueinfo): the default action meets it as
//               | kernel ends the process there | soon as it is unblocked
//   SIG_IGN     | as SIG_DFL: the kernel cannot ignore a fault  | ignored
//   a function  | called as (signo, info, context), whether or not SA_SIGINFO is set (the kernel passes all three
//               | on x86-64; on aarch64 the extra arguments are ignored by a one-argument handler), with the
//               | thread's mask at delivery plus its sa_mask, plus the signal unless SA_NODEFER. SA_RESETHAND:
//               | the head becomes SIG_DFL before the call.
//   none (empty)| as SIG_DFL
//
// Before the head: V8's WebAssembly trap handler for faults, so an out-of-bounds wasm access throws whatever
// replaced Node's handler. Where V8's symbol is missing, Node's own handler (remembered once seen in the chain)
// ends the chain instead of SIG_DFL: it handles wasm traps and otherwise restores the default and re-raises.
//
// After a function returns from a fault without changing the registers: if it was a page fault whose access
// still fails, or a general-protection fault (SI_KERNEL: it follows from the instruction and its registers
// alone), the retry will fault again, and the chain notes it. If the very next signal that reaches the chain on
// this thread is that retry (the same signal, code, address and registers), the default action ends the process
// instead of running the function again: a real crash never spins forever behind a handler that only takes note
// (libuv's, behind process.on('SIGSEGV')). Any other signal consumes the note. A fault fixed in between (the
// access succeeds, the page is executable again) is never noted, however often it recurs.
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
