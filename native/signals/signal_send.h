// Sending signals: to a process (kill, or sigqueue with a value) and to one thread of a process (tgkill).
// Thin wrappers that report errno instead of throwing. Never called from a signal handler.
#pragma once

#include <cstdint>

#include "common/system_call.h"

namespace memprobe {

// What sigqueue sends: nothing (kill), an int (sival_int, the other 32 bits of the union zero) or a pointer-sized
// value (sival_ptr, all 64 bits).
enum class SignalValue { kNone, kInt, kPointer };

SystemCallResult SendSignal(int pid, int signo, SignalValue kind, uint64_t value);
// tgid 0: this process.
SystemCallResult SignalThread(int tgid, int tid, int signo);

}  // namespace memprobe
