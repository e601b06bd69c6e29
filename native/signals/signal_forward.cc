#include "signals/signal_forward.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>

#include "signals/thread_masks.h"

namespace memprobe {

namespace {

int g_pipe[2] = {-1, -1};
std::atomic<uint64_t> g_forwarded{0};
std::atomic<uint64_t> g_dropped{0};
size_t g_capacity = 0;  // events the pipe holds

void OnWatchedSignal(int, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  const SignalEvent event = EventFromSiginfo(*info);
  ssize_t written;
  do {
    written = write(g_pipe[1], &event, sizeof event);  // <= PIPE_BUF: atomic among concurrent handlers
  } while (written < 0 && errno == EINTR);
  (written == sizeof event ? g_forwarded : g_dropped).fetch_add(1, std::memory_order_relaxed);
  ApplyHeldSet(&static_cast<ucontext_t*>(context)->uc_sigmask);
  errno = saved_errno;
}

}  // namespace

int ForwardInit() {
  if (g_pipe[0] >= 0) return 0;
  int ends[2];
  if (pipe2(ends, O_CLOEXEC | O_NONBLOCK) != 0) return errno;
  // As large as the system lets an unprivileged process make it (fs.pipe-max-size, 1 MiB by default; the
  // user's pipe-user-pages-soft can refuse it): every event it can hold is one the handler never drops.
  for (int size = 1 << 20; size > 65536 && fcntl(ends[1], F_SETPIPE_SZ, size) < 0; size >>= 1) {
  }
  const int size = fcntl(ends[1], F_GETPIPE_SZ);
  g_capacity = size > 0 ? static_cast<size_t>(size) / sizeof(SignalEvent) : 0;
  g_pipe[1] = ends[1];
  g_pipe[0] = ends[0];
  return 0;
}

size_t ForwardCapacity() { return g_capacity; }

int ForwardReadFd() { return g_pipe[0]; }

struct sigaction ForwardingAction() {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = OnWatchedSignal;
  action.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
  // Everything but the synchronous fault signals stays blocked while it runs, the mask helper included: the
  // helper edits the same uc_sigmask, and one at a time keeps that simple.
  action.sa_mask = AllButFaultSignals();
  return action;
}

bool IsForwardingAction(const struct sigaction& action) {
  return (action.sa_flags & SA_SIGINFO) && action.sa_sigaction == OnWatchedSignal;
}

size_t ReadForwarded(SignalEvent* out, size_t capacity) {
  size_t count = 0;
  while (count < capacity) {
    const ssize_t n = read(g_pipe[0], out + count, (capacity - count) * sizeof(SignalEvent));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EAGAIN: empty
    // Writers only ever write whole events atomically, so reads come in whole events.
    if (n % sizeof(SignalEvent) != 0) abort();
    count += static_cast<size_t>(n) / sizeof(SignalEvent);
  }
  return count;
}

void DiscardForwarded() {
  SignalEvent scratch[64];
  while (ReadForwarded(scratch, 64) == 64) {
  }
}

uint64_t ForwardedCount() { return g_forwarded.load(std::memory_order_relaxed); }
uint64_t ForwardDropped() { return g_dropped.load(std::memory_order_relaxed); }

}  // namespace memprobe
