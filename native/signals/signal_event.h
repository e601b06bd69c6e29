// One received signal as memprobe hands it on: the siginfo fields JavaScript sees, filled either from a
// signalfd read (the dedicated thread) or from a siginfo_t inside the forwarding handler.
// Plain data; the conversions are async-signal-safe (no calls at all).
#pragma once

#include <signal.h>
#include <sys/signalfd.h>

#include <cstdint>
#include <climits>

namespace memprobe {

struct SignalEvent {
  int32_t signo;
  int32_t code;       // si_code
  int32_t pid;        // sender, 0 where the kernel gives none
  int32_t uid;
  int32_t value;      // sigval.sival_int, when has_value
  int32_t has_value;  // 1 for SI_QUEUE, SI_TIMER, SI_MESGQ
  int32_t status;     // SIGCHLD: the child's exit status or signal (si_status); 0 otherwise
  // sigval.sival_ptr as two halves: the union holds 64 bits, of which sival_int is only the low 32 on
  // little-endian machines (all the ones Node supports on Linux but s390x).
  uint32_t pointer_low;
  uint32_t pointer_high;
  int32_t utime;      // SIGCHLD: the child's user and system CPU time in clock ticks (si_utime, si_stime),
  int32_t stime;      // saturated at INT32_MAX (248 days at 100 ticks a second); 0 otherwise
};

// How many int32 fields a SignalEvent has: the addon hands events to JavaScript as an Int32Array of these.
constexpr int kSignalEventFields = sizeof(SignalEvent) / sizeof(int32_t);
static_assert(sizeof(SignalEvent) == kSignalEventFields * sizeof(int32_t), "SignalEvent is packed int32 fields");

namespace signal_event_detail {
inline bool CarriesValue(int code) { return code == SI_QUEUE || code == SI_TIMER || code == SI_MESGQ; }
// si_pid/si_uid share a union with other layouts: they name a sender only for signals sent by a process
// (kill, sigqueue, tgkill, mq_notify: si_code <= 0 except timers) and for SIGCHLD (the child).
inline bool CarriesSender(int signo, int code) { return (code <= 0 && code != SI_TIMER) || signo == SIGCHLD; }
// si_status, si_utime and si_stime are filled by the kernel only for SIGCHLD with a CLD_* code (si_code > 0).
inline bool CarriesChild(int signo, int code) { return signo == SIGCHLD && code > 0; }
inline int32_t Ticks(long long ticks) { return ticks > INT32_MAX ? INT32_MAX : ticks < 0 ? 0 : static_cast<int32_t>(ticks); }
inline uint32_t Low(uint64_t bits) { return static_cast<uint32_t>(bits); }
inline uint32_t High(uint64_t bits) { return static_cast<uint32_t>(bits >> 32); }
}  // namespace signal_event_detail

inline SignalEvent EventFromSiginfo(const siginfo_t& info) {
  using namespace signal_event_detail;
  const bool sender = CarriesSender(info.si_signo, info.si_code);
  const bool value = CarriesValue(info.si_code);
  const bool child = CarriesChild(info.si_signo, info.si_code);
  const uint64_t pointer = value ? reinterpret_cast<uintptr_t>(info.si_value.sival_ptr) : 0;
  return SignalEvent{info.si_signo,
                     info.si_code,
                     sender ? static_cast<int32_t>(info.si_pid) : 0,
                     sender ? static_cast<int32_t>(info.si_uid) : 0,
                     value ? info.si_value.sival_int : 0,
                     value ? 1 : 0,
                     child ? info.si_status : 0,
                     Low(pointer),
                     High(pointer),
                     child ? Ticks(info.si_utime) : 0,
                     child ? Ticks(info.si_stime) : 0};
}

inline SignalEvent EventFromSignalfd(const signalfd_siginfo& info) {
  using namespace signal_event_detail;
  const int signo = static_cast<int>(info.ssi_signo);
  const bool sender = CarriesSender(signo, info.ssi_code);
  const bool value = CarriesValue(info.ssi_code);
  const bool child = CarriesChild(signo, info.ssi_code);
  const uint64_t pointer = value ? info.ssi_ptr : 0;
  return SignalEvent{signo,
                     info.ssi_code,
                     sender ? static_cast<int32_t>(info.ssi_pid) : 0,
                     sender ? static_cast<int32_t>(info.ssi_uid) : 0,
                     value ? info.ssi_int : 0,
                     value ? 1 : 0,
                     child ? info.ssi_status : 0,
                     Low(pointer),
                     High(pointer),
                     child ? Ticks(static_cast<long long>(info.ssi_utime)) : 0,
                     child ? Ticks(static_cast<long long>(info.ssi_stime)) : 0};
}

}  // namespace memprobe
