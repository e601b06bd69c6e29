#include "signals/signal_send.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace memprobe {

SystemCallResult SendSignal(int pid, int signo, SignalValue kind, uint64_t value) {
  if (kind == SignalValue::kNone) return FromReturnCode(kill(pid, signo), "kill");
  union sigval sv;
  if (kind == SignalValue::kPointer) {
    sv.sival_ptr = reinterpret_cast<void*>(static_cast<uintptr_t>(value));
  } else {
    sv.sival_ptr = nullptr;  // all 64 bits defined; a receiver reading sival_ptr sees the int in the low 32
    sv.sival_int = static_cast<int>(static_cast<int32_t>(value));
  }
  return FromReturnCode(sigqueue(pid, signo, sv), "sigqueue");
}

SystemCallResult SignalThread(int tgid, int tid, int signo) {
  return FromReturnCode(static_cast<int>(syscall(SYS_tgkill, tgid == 0 ? getpid() : tgid, tid, signo)), "tgkill");
}

}  // namespace memprobe
