#include "signal_send.h"

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace memprobe {

namespace {
SystemCallResult Outcome(int rc, const char* syscall_name) { return SystemCallResult{0, rc == 0 ? 0 : errno, rc == 0 ? nullptr : syscall_name}; }
}  // namespace

SystemCallResult SendSignal(int pid, int signo, bool with_value, int value) {
  if (!with_value) return Outcome(kill(pid, signo), "kill");
  union sigval sv;
  sv.sival_ptr = nullptr;  // all 64 bits defined; the receiver reads the low 32 (sival_int)
  sv.sival_int = value;
  return Outcome(sigqueue(pid, signo, sv), "sigqueue");
}

SystemCallResult SignalThread(int tid, int signo) {
  return Outcome(static_cast<int>(syscall(SYS_tgkill, getpid(), tid, signo)), "tgkill");
}

}  // namespace memprobe
