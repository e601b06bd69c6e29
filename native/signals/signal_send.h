// Sending signals: to a process (kill, or sigqueue with a value) and to one thread of this process (tgkill).
// Thin wrappers that report errno instead of throwing. Never called from a signal handler.
#pragma once

#include "common/system_call.h"

namespace memprobe {

SystemCallResult SendSignal(int pid, int signo, bool with_value, int value);
SystemCallResult SignalThread(int tid, int signo);

}  // namespace memprobe
