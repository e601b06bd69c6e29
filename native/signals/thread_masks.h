// Signal masks of every thread of this process. A thread's mask can only be changed by that thread, so to make
// every thread block a set memprobe sends each one a helper signal with tgkill; the helper's handler edits the
// mask that sigreturn restores (uc_sigmask). Threads created later inherit their creator's mask.
// The helper is a standard signal, SIGSTKFLT: the kernel never refuses a standard signal for RLIMIT_SIGPENDING
// (a real-time one gets EAGAIN once the user's queue is full, or always when the limit is 0), and instances that
// merge while pending do no harm (the handler applies the held set as it is when it runs). Nothing generates
// SIGSTKFLT on x86-64 Linux, and neither Node, V8, libuv nor the C library uses it.
// Which blocked bits memprobe added is kept per thread (signal-safe TLS, libc.h), so what a thread blocked on
// its own stays blocked when memprobe lets go.
//
// Owns: the helper signal's handler (installed once, never removed: an instance may still be pending on a
// thread that blocks it), the held set (signals every thread must block), the control lock that serialises
// every change of dispositions and masks made by memprobe (the hub and the demo).
// Must never: block SIGSEGV/SIGBUS or the helper; touch TLS not declared MEMPROBE_SIGNAL_SAFE_TLS, allocate or
// lock in the handler or in ApplyHeldSet (both run inside signal handlers: async-signal-safe only).
#pragma once

#include <signal.h>

#include <cstdint>

namespace memprobe {

int MaskHelperSignal();  // SIGSTKFLT

// Every signal but the synchronous fault signals (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS): the most
// a thread of memprobe's may block (a thread that blocks SIGSEGV dies on a fault, guarded or not).
sigset_t AllButFaultSignals();

// The control lock: HoldSignals/ReleaseSignals and every sigaction memprobe makes for a watched or demo signal
// happen under it. Never taken inside a signal handler.
void LockSignalControl();
void UnlockSignalControl();
struct SignalControlLock {
  SignalControlLock() { LockSignalControl(); }
  ~SignalControlLock() { UnlockSignalControl(); }
  SignalControlLock(const SignalControlLock&) = delete;
  SignalControlLock& operator=(const SignalControlLock&) = delete;
};

// Installs the helper's handler once. 0, an errno, or EBUSY when another handler already owns the helper signal.
int InstallMaskHelper();

// The signals every thread must block now (bit n-1 for signal n). Safe anywhere, a signal handler included.
uint64_t HeldSignals();

// With the control lock held: adds `signals` to the held set (or removes them) and returns once every thread
// that can run the helper has its mask converged: held signals blocked, released ones unblocked where memprobe
// had blocked them. `exempt_tid` (0 for none) is a thread that manages its own mask (the dedicated thread).
// Threads that block the helper themselves (Node's inspector thread blocks everything) keep their mask.
// Each thread's mask is verified after its helper run (an outer handler's sigreturn can undo it); a thread that
// keeps the helper blocked gets one left pending (it runs when the thread lets it in), is waited for a moment,
// then left to that and to AuditHeldSet, and looked at again by later passes. HoldSignals returns 0, or an errno (EMFILE…) after undoing its change when /proc/self/task cannot be
// listed.
int HoldSignals(uint64_t signals, int exempt_tid);
void MarkHeld(uint64_t signals);  // adds them to the held set without a pass (HoldSignals or ReleaseSignals follows)
void ReleaseSignals(uint64_t signals, int exempt_tid);

// Without the control lock and without waiting (the dedicated thread calls it now and then while anything is
// held): sends the helper to every thread that does not block the whole held set, or blocks the helper itself,
// unless one is pending there already, whatever undid it (an outer handler's return, a thread that blocked the
// helper while a watch started, one created at that instant). To a thread that blocks it, the helper stays
// pending until it is let in. Returns how many it sent. Harmless at any time: the helper applies the held set
// as it is when it runs.
int AuditHeldSet(int exempt_tid);

// Edits `mask` (the calling thread's, or a handler's uc_sigmask) to block the held set and unblock what
// memprobe blocked there and no longer holds. Async-signal-safe.
void ApplyHeldSet(sigset_t* mask);

// Pending signals and the mask survive execve; handlers do not (a caught signal is SIG_DFL in the new program).
// PrepareThisThreadForExec, right before the calling thread calls execve: no helper is sent to it any more
// (one being sent is waited for), the helpers pending on it are dequeued, and its mask becomes what the thread
// blocked itself (memprobe's bits dropped; neither handler adds them back). CancelExecForThisThread undoes it
// when execve was not called after all.
void PrepareThisThreadForExec();
void CancelExecForThisThread();

// The calling thread's mask as the user asks for it. how: SIG_BLOCK, SIG_UNBLOCK, or 0 to only read it.
// A held signal stays blocked while held (so the dedicated thread stays the only one that dequeues it); the
// request is remembered and applied when it is released. Returns 0 or an errno; *previous = the mask before.
int ChangeThisThreadMask(int how, uint64_t signals, uint64_t* previous);

}  // namespace memprobe
