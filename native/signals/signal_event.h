// One received signal as memprobe hands it on: the siginfo fields JavaScript sees, filled either from a
// signalfd read (the dedicated thread) or from a siginfo_t inside the forwarding handler.
// Plain data; the conversions are async-signal-safe (no calls at all).
#pragma once

#include <signal.h>
#include <sys/signalfd.h>

#include <cstdint>

namespace memprobe {

struct SignalEvent {
  int32_t signo;
  int32_t code;       // si_code
  int32_t pid;        // sender, 0 where the kernel gives none
  int32_t uid;
  int32_t value;      // sigval.sival_int, when has_value
  int32_t has_value;  // 1 for SI_QUEUE, SI_TIMER, SI_MESGQ
  int32_t status;     // SIGCHLD: the child's exit status or signal (si_status); 0 otherwise
};

// How many int32 fields a SignalEvent has: the addon hands events to JavaScript as an Int32Array of these.
constexpr int kSignalEventFields = sizeof(SignalEvent) / sizeof(int32_t);
static_assert(sizeof(SignalEvent) == kSignalEventFields * sizeof(int32_t), "SignalEvent is packed int32 fields");

namespace signal_event_detail {
inline bool CarriesValue(int code) { return code == SI_QUEUE || code == SI_TIMER || code == SI_MESGQ; }
// si_pid/si_uid share a union with other layouts: they name a sender only for signals sent by a process
// (kill, sigqueue, tgkill, mq_notify: si_code <= 0 except timers) and for SIGCHLD (the child).
inline bool CarriesSender(int signo, int code) { return (code <= 0 && code != SI_TIMER) || signo == SIGCHLD; }
}  // namespace signal_event_detail

inline SignalEvent EventFromSiginfo(const siginfo_t& info) {
  using namespace signal_event_detail;
  const bool sender = CarriesSender(info.si_signo, info.si_code);
  const bool value = CarriesValue(info.si_code);
  return SignalEvent{info.si_signo,
                     info.si_code,
                     sender ? static_cast<int32_t>(info.si_pid) : 0,
                     sender ? static_cast<int32_t>(info.si_uid) : 0,
                     value ? info.si_value.sival_int : 0,
                     value ? 1 : 0,
                     info.si_signo == SIGCHLD && info.si_code > 0 ? info.si_status : 0};
}

inline SignalEvent EventFromSignalfd(const signalfd_siginfo& info) {
  using namespace signal_event_detail;
  const int signo = static_cast<int>(info.ssi_signo);
  const bool sender = CarriesSender(signo, info.ssi_code);
  const bool value = CarriesValue(info.ssi_code);
  return SignalEvent{signo,
                     info.ssi_code,
                     sender ? static_cast<int32_t>(info.ssi_pid) : 0,
                     sender ? static_cast<int32_t>(info.ssi_uid) : 0,
                     value ? info.ssi_int : 0,
                     value ? 1 : 0,
                     signo == SIGCHLD && info.ssi_code > 0 ? info.ssi_status : 0};
}

}  // namespace memprobe
