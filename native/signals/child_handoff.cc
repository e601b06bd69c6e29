#include "signals/child_handoff.h"

#include <pthread.h>
#include <string.h>
#include <ucontext.h>

#include "common/libc.h"
#include "signals/signal_forward.h"

namespace memprobe {

namespace {

pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
struct sigaction g_previous;  // g_lock
bool g_recorded = false;      // g_lock

bool IsHandler(const struct sigaction& action) {
  return (action.sa_flags & SA_SIGINFO) ? action.sa_sigaction != nullptr
                                        : action.sa_handler != SIG_DFL && action.sa_handler != SIG_IGN;
}

}  // namespace

void RecordChildPrevious(const struct sigaction& previous) {
  pthread_mutex_lock(&g_lock);
  g_previous = previous;
  g_recorded = true;
  pthread_mutex_unlock(&g_lock);
}

void HandOnChild(const SignalEvent& event) {
  struct sigaction current;
  if (sigaction(SIGCHLD, nullptr, &current) != 0) return;
  const bool ours = IsForwardingAction(current);
  struct sigaction target;
  if (ours) {
    pthread_mutex_lock(&g_lock);
    const bool recorded = g_recorded;
    target = g_previous;
    pthread_mutex_unlock(&g_lock);
    if (!recorded) return;
  } else {
    target = current;
  }
  if (!IsHandler(target)) return;  // SIG_DFL and SIG_IGN do nothing for SIGCHLD that the kernel has not done
  if (target.sa_flags & SA_RESETHAND) {
    // The kernel resets a one-shot handler as it delivers the signal.
    struct sigaction reset;
    memset(&reset, 0, sizeof reset);
    reset.sa_handler = SIG_DFL;
    if (ours) {
      RecordChildPrevious(reset);
    } else {
      sigaction(SIGCHLD, &reset, nullptr);
    }
  }
  // This thread blocks every signal but the fault signals: at least the handler's own sa_mask.
  if (target.sa_flags & SA_SIGINFO) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = SIGCHLD;
    info.si_code = event.code;
    info.si_pid = event.pid;
    info.si_uid = static_cast<uid_t>(event.uid);
    info.si_status = event.status;
    info.si_utime = event.utime;
    info.si_stime = event.stime;
    ucontext_t context;
    FillHandlerContext(&context);
    target.sa_sigaction(SIGCHLD, &info, &context);
  } else {
    target.sa_handler(SIGCHLD);
  }
}

}  // namespace memprobe
