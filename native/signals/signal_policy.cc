#include "signals/signal_policy.h"

#include <signal.h>

#include "signals/thread_masks.h"

namespace memprobe {

namespace {

// A literal, so that each reason below is one string joined at compile time.
#define MEMPROBE_SYNCHRONOUS                                                                             \
  "a synchronous fault signal: the kernel sends it to the thread that faults, which cannot wait for another " \
  "thread to take it"

const char* Reserved(int signo) {
  if (signo == 32) return "the C library reserves signal 32 for itself (thread cancellation)";
  if (signo == 33) return "the C library reserves signal 33 for itself (setuid and friends across threads)";
  return "the C library reserves the signals below SIGRTMIN for itself";
}

}  // namespace

const char* WatchRefusal(int signo) {
  if (signo < 1 || signo > SIGRTMAX) return "it is not a signal number";
  if (signo == MaskHelperSignal()) return "memprobe itself uses it to change the signal masks of other threads";
  if (signo > 31 && signo < SIGRTMIN) return Reserved(signo);
  switch (signo) {
    case SIGKILL:
      return "SIGKILL cannot be caught, blocked or ignored";
    case SIGSTOP:
      return "SIGSTOP cannot be caught, blocked or ignored";
    case SIGSEGV:
      return MEMPROBE_SYNCHRONOUS " (memprobe's fault guard owns SIGSEGV)";
    case SIGBUS:
      return MEMPROBE_SYNCHRONOUS " (memprobe's fault guard owns SIGBUS)";
    case SIGTRAP:
      return MEMPROBE_SYNCHRONOUS " (and debuggers use it)";
    case SIGSYS:
      return MEMPROBE_SYNCHRONOUS " (seccomp)";
    case SIGFPE:
    case SIGILL:
      return MEMPROBE_SYNCHRONOUS;
    case SIGPROF:
      return "V8's CPU profiler uses SIGPROF";
    default:
      return nullptr;
  }
}

const char* BlockRefusal(int signo) {
  if (signo < 1 || signo > SIGRTMAX) return "it is not a signal number";
  if (signo > 31 && signo < SIGRTMIN) {
    return signo == 32 ? "the C library reserves signal 32 and never lets it be blocked"
         : signo == 33 ? "the C library reserves signal 33 and never lets it be blocked"
                       : "the C library reserves the signals below SIGRTMIN and never lets them be blocked";
  }
  switch (signo) {
    case SIGKILL:
      return "the kernel never blocks SIGKILL";
    case SIGSTOP:
      return "the kernel never blocks SIGSTOP";
    case SIGSEGV:
      return "a thread that blocks SIGSEGV dies on any fault, memprobe's guarded copies included";
    case SIGBUS:
      return "a thread that blocks SIGBUS dies on any fault, memprobe's guarded copies included";
    default:
      return nullptr;
  }
}

}  // namespace memprobe
