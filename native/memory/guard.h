// The process-wide SIGSEGV/SIGBUS handler and the two ways it turns a fault of ours into a return value:
// a fault inside the assembly copy routine (forward_copy.h) resumes at the routine's recovery label; a fault
// inside GuardRun() jumps back to its per-thread recovery point.
//
// Owns: installing the handler once per process, remembering what was installed before it and handing every
// fault that is not ours to that (V8's WebAssembly trap handler first), taking the handler back when someone
// displaced it. Must never: allocate, lock, print or throw inside the handler or anything it calls; touch
// dynamic TLS from the handler (the recovery slot is initial-exec TLS, allocated with every thread).
#pragma once

#include <setjmp.h>

#include <cstddef>
#include <cstdint>

namespace memprobe {

struct GuardTrap {
  int signo;
  int code;           // si_code
  uintptr_t address;  // si_addr (0 for a non-canonical address)
};

// Deliberately not zero-initialised (it sits on the no-fault path): GuardRun sets `outer`, the constructor the
// accepted ranges, the handler `trap`.
struct GuardFrame {
  sigjmp_buf env;
  GuardFrame* outer;  // the frame this one interrupted, if any
  // A fault is ours only if it is kernel-generated and its address lies in one of these ranges
  // (or it is a non-canonical access, for which the kernel reports no address).
  uintptr_t accept_begin[2];
  uintptr_t accept_end[2];
  GuardTrap trap;

  GuardFrame(const void* first, const void* second, size_t length) {
    accept_begin[0] = reinterpret_cast<uintptr_t>(first);
    accept_end[0] = accept_begin[0] + length;
    accept_begin[1] = reinterpret_cast<uintptr_t>(second);
    accept_end[1] = accept_begin[1] + length;
  }
};

namespace guard_detail {
extern __thread GuardFrame* t_frame __attribute__((tls_model("initial-exec")));
extern __thread bool t_thread_prepared __attribute__((tls_model("initial-exec")));
void UnblockFaultSignalsOnThisThread();
}  // namespace guard_detail

// Installs the handler (idempotent, thread-safe). Returns 0 or an errno.
int GuardInstall();

// Takes the handler back for each signal where another one replaced it; the displacer becomes the action
// faults that are not ours are handed to. Returns how many signals were taken back.
int GuardReassert();

struct GuardStatus {
  bool installed;
  char previous[2][160];  // SIGSEGV, SIGBUS: "default", "ignore", "node-wasm-trap", "segfault-handler", "handler <name>"
  uint64_t reasserted;
};
GuardStatus GuardGetStatus();

// A thread that blocks SIGSEGV/SIGBUS dies on a fault whatever handler is installed: unblock them once per thread.
inline void GuardPrepareThread() {
  if (!guard_detail::t_thread_prepared) guard_detail::UnblockFaultSignalsOnThisThread();
}

// Runs body(); returns false if it faulted inside one of frame's ranges (frame.trap says how). sigsetjmp saves no
// signal mask: the handler is SA_NODEFER with an empty sa_mask, so the mask after the jump is already right.
// The body must not own anything with a destructor, a lock or an N-API handle: the jump skips them.
template <typename Body>
__attribute__((noinline)) bool GuardRun(GuardFrame& frame, const Body& body) {
  if (sigsetjmp(frame.env, 0) != 0) return false;  // the handler has unlinked the frame
  frame.outer = guard_detail::t_frame;
  __asm__ volatile("" ::: "memory");
  guard_detail::t_frame = &frame;
  __asm__ volatile("" ::: "memory");
  body();
  __asm__ volatile("" ::: "memory");
  guard_detail::t_frame = frame.outer;
  return true;
}

}  // namespace memprobe
