#include "signals/signal_send.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace memprobe {

SystemCallResult SendSignal(int pid, int signo, bool with_value, int value) {
  if (!with_value) return FromReturnCode(kill(pid, signo), "kill");
  union sigval sv;
  sv.sival_ptr = nullptr;  // all 64 bits defined; the receiver reads the low 32 (sival_int)
  sv.sival_int = value;
  return FromReturnCode(sigqueue(pid, signo, sv), "sigqueue");
}

SystemCallResult SignalThread(int tid, int signo) {
  return FromReturnCode(static_cast<int>(syscall(SYS_tgkill, getpid(), tid, signo)), "tgkill");
}

}  // namespace memprobe
