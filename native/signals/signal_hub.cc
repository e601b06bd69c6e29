#include "signals/signal_hub.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <time.h>

#include <algorithm>
#include <atomic>

#include "signals/child_handoff.h"
#include "signals/proc_status.h"
#include "signals/signal_forward.h"
#include "signals/signal_policy.h"
#include "signals/thread_masks.h"

namespace memprobe {

class SignalHubAccess {
 public:
  static int& Count(SignalSubscriber* s, int signo) { return s->counts_[signo]; }
  static uint64_t& Wanted(SignalSubscriber* s) { return s->wanted_; }
  static bool& Dead(SignalSubscriber* s) { return s->dead_; }
  static int& LoopFd(SignalSubscriber* s) { return s->loop_fd_; }
  static uint64_t& LoopSet(SignalSubscriber* s) { return s->loop_set_; }
  // Appends the events `s` wants; true when it must be notified. `may_notify` false: the caller is `s`'s own
  // event loop, which takes the queue next (a notification would only wake that loop a second time).
  static bool Enqueue(SignalSubscriber* s, const SignalEvent* events, size_t count, bool may_notify) {
    bool notify = false;
    pthread_mutex_lock(&s->queue_lock_);
    for (size_t i = 0; i < count; i++) {
      if (s->wanted_ & SignalBit(events[i].signo)) s->queue_.push_back(events[i]);
    }
    if (may_notify && !s->queue_.empty() && !s->notify_pending_) {
      s->notify_pending_ = true;
      notify = true;
    }
    pthread_mutex_unlock(&s->queue_lock_);
    return notify;
  }
};

namespace {

using Access = SignalHubAccess;

constexpr size_t kBatch = 128;

// All process-wide, never destroyed (the thread may outlive every environment during exit()).
pthread_mutex_t g_dispatch = PTHREAD_MUTEX_INITIALIZER;
std::vector<SignalSubscriber*>* g_subscribers = nullptr;  // dispatch lock
int g_counts[65] = {};                                    // subscribers watching each signal (control lock)
struct sigaction g_saved[65];                             // disposition before the first watch (control lock)
int g_signalfd = -1;
int g_wake = -1;  // eventfd: stop, or look at the signalfd again
pthread_t g_thread;
bool g_running = false;  // control lock
std::atomic<int> g_thread_tid{0};
std::atomic<bool> g_stop{false};
std::atomic<uint64_t> g_taken{0};  // signals the dedicated thread read from the signalfd, for tests
std::atomic<uint64_t> g_loop_read{0};  // signals event loops read from their own signalfds, for tests
// Which signalfd reads each watched signal (Rebalance, with both locks): the dedicated thread's, or one
// subscriber's own (its loop_set_). The thread leaves its signalfd out of poll() while it reads nothing, so that
// it is not woken by every signal the kernel queues (every signalfd waits on the one per-process wait queue).
std::atomic<uint64_t> g_thread_set{0};
std::atomic<uint64_t> g_loop_any{0};  // the union of the subscribers' loop sets
bool g_exiting = false;  // exit() has begun: notify nobody (dispatch lock)

// HubSync: a caller asks for a round by raising g_sync_requested; the dedicated thread reads that number before
// it reads the pipe and the signalfd, and publishes it in g_sync_done once both are drained and handed on.
std::atomic<uint64_t> g_sync_requested{0};
pthread_mutex_t g_sync_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t g_sync_cond = PTHREAD_COND_INITIALIZER;
uint64_t g_sync_done = 0;  // g_sync_lock

sigset_t ToSigset(uint64_t bits) {
  sigset_t set;
  sigemptyset(&set);
  for (int signo = 1; signo <= 64; signo++) {
    if (bits & SignalBit(signo)) sigaddset(&set, signo);
  }
  return set;
}

void Wake() {
  const uint64_t one = 1;
  while (write(g_wake, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

// Dispatch lock held, from the read of `events` on: whoever reads, the queues get batches in the kernel's order.
// `reader`: the subscriber whose own event loop read them (not notified: it takes its queue next), or nullptr.
void DispatchLocked(const SignalEvent* events, size_t count, SignalSubscriber* reader) {
  // g_exiting is read under the lock OnExit takes to set it: checked before the lock, a Dispatch that had just
  // passed the check could still be calling Notify (napi_call_threadsafe_function) after OnExit returned, while
  // exit() goes on to run Node's own atexit work and static destructors. Now, once OnExit has returned, no
  // Notify is running and none starts.
  if (count == 0 || g_exiting) return;
  for (SignalSubscriber* subscriber : *g_subscribers) {
    if (Access::Dead(subscriber)) continue;
    if (Access::Enqueue(subscriber, events, count, subscriber != reader) && !subscriber->Notify()) Access::Dead(subscriber) = true;
  }
}

void SetSignalfdMask(int fd, uint64_t bits) {
  const sigset_t set = ToSigset(bits);
  if (signalfd(fd, &set, 0) < 0) abort();  // only fails for a bad fd or mask
}

void PublishSync(uint64_t sync) {
  pthread_mutex_lock(&g_sync_lock);
  if (sync > g_sync_done) {
    g_sync_done = sync;
    pthread_cond_broadcast(&g_sync_cond);
  }
  pthread_mutex_unlock(&g_sync_lock);
}

int64_t NowNs() {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

// The audit of every thread's mask (AuditHeldSet) runs on this thread, soon after each change of the held set
// and after any signal reached the forwarding handler, then less and less often while nothing needs fixing.
constexpr int kAuditFirstMs = 10;
constexpr int kAuditLastMs = 250;  // a thread created mid-watch is caught within this (~0.2 ms an audit)
std::atomic<bool> g_audit_soon{false};  // set by the control side: start the schedule again

// On the dedicated thread: a watched signal that an event loop reads, directed at this thread (tgkill to its
// tid, which the contract says it receives), stays pending here, because the loop's read takes only the loop
// thread's own instances and the process's. Read them one at a time while /proc says one is pending here: a
// signalfd read takes the reading thread's own instances first.
void CollectOwnPending(int self) {
  for (int round = 0; round < 64 && g_loop_any.load(std::memory_order_acquire) != 0; round++) {
    ThreadStatus status;
    if (ReadThreadStatus(0, self, &status) != 0) return;
    bool read_one = false;
    pthread_mutex_lock(&g_dispatch);
    for (SignalSubscriber* subscriber : *g_subscribers) {
      if (!(status.pending & Access::LoopSet(subscriber)) || Access::LoopFd(subscriber) < 0) continue;
      signalfd_siginfo info;
      if (read(Access::LoopFd(subscriber), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        const SignalEvent event = EventFromSignalfd(info);
        DispatchLocked(&event, 1, nullptr);
        g_taken.fetch_add(1, std::memory_order_relaxed);
        read_one = true;
      }
      break;
    }
    pthread_mutex_unlock(&g_dispatch);
    if (!read_one) return;
  }
}

void* ThreadMain(void*) {
  pthread_setname_np(pthread_self(), "memprobe-signal");
  const int self = static_cast<int>(syscall(SYS_gettid));
  g_thread_tid.store(self, std::memory_order_release);
  struct pollfd fds[3] = {{g_wake, POLLIN, 0}, {ForwardReadFd(), POLLIN, 0}, {g_signalfd, POLLIN, 0}};
  SignalEvent events[2 * kBatch];
  signalfd_siginfo infos[kBatch];
  int audit_interval_ms = kAuditFirstMs;
  int64_t last_audit = NowNs();
  int64_t next_audit = last_audit + audit_interval_ms * int64_t{1000000};
  for (;;) {
    if (g_audit_soon.exchange(false, std::memory_order_acq_rel)) {
      audit_interval_ms = kAuditFirstMs;
      next_audit = NowNs() + audit_interval_ms * int64_t{1000000};
    }
    const int64_t wait_ns = next_audit - NowNs();
    const int timeout_ms = wait_ns <= 0 ? 0 : static_cast<int>((wait_ns + 999999) / 1000000);
    // Read before the poll: a Rebalance that changes it wakes the thread afterwards, so the next round sees it.
    fds[2].fd = g_thread_set.load(std::memory_order_acquire) != 0 ? g_signalfd : -1;
    if (poll(fds, 3, timeout_ms) < 0) {
      if (errno == EINTR) continue;
      abort();  // EFAULT/EINVAL: impossible with these arguments
    }
    const bool woken = fds[0].revents & POLLIN;
    if (woken) {
      uint64_t count;
      while (read(g_wake, &count, sizeof count) < 0 && errno == EINTR) {
      }
    }
    if (g_stop.load(std::memory_order_acquire)) break;
    // A sync asked for before this point is answered once what the pipe and the signalfd hold now is handed on.
    const uint64_t sync = g_sync_requested.load(std::memory_order_acquire);
    // Read and queued under the dispatch lock: an event loop reading its own signalfd, or a signal moving
    // between signalfds, never comes between this read and these events reaching the queues.
    pthread_mutex_lock(&g_dispatch);
    // Forwarded ones first: the kernel handed them out before whatever is still queued for the signalfd.
    const size_t forwarded = ReadForwarded(events, kBatch);
    size_t count = forwarded;
    ssize_t n;
    do {
      n = read(g_signalfd, infos, sizeof infos);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
      for (size_t i = 0; i < static_cast<size_t>(n) / sizeof(signalfd_siginfo); i++) {
        events[count++] = EventFromSignalfd(infos[i]);
      }
    }
    DispatchLocked(events, count, nullptr);
    pthread_mutex_unlock(&g_dispatch);
    g_taken.fetch_add(count - forwarded, std::memory_order_relaxed);
    for (size_t i = 0; i < count; i++) {
      if (events[i].signo == SIGCHLD) HandOnChild(events[i]);
    }
    if (woken) CollectOwnPending(self);  // HubNudge and HubSync wake the thread
    if (forwarded < kBatch && n < static_cast<ssize_t>(sizeof infos)) PublishSync(sync);  // both drained
    // Some thread did not block the set: look soon (not more often than kAuditFirstMs).
    if (forwarded > 0) next_audit = std::min(next_audit, last_audit + kAuditFirstMs * int64_t{1000000});
    if (NowNs() >= next_audit) {
      CollectOwnPending(self);  // a tgkill from elsewhere than signalThread: no nudge
      // Sent helpers are verified by the next audit, soon; a quiet one lets the next wait twice as long.
      audit_interval_ms = AuditHeldSet(self) > 0 ? kAuditFirstMs : std::min(kAuditLastMs, 2 * audit_interval_ms);
      last_audit = NowNs();
      next_audit = last_audit + audit_interval_ms * int64_t{1000000};
    }
  }
  return nullptr;
}

// Runs in exit() on whichever thread calls it; never the dedicated thread (which calls nothing that exits).
void OnExit() {
  pthread_mutex_lock(&g_dispatch);
  g_exiting = true;
  pthread_mutex_unlock(&g_dispatch);
}

// Control lock held.
int EnsureResources(const char** syscall) {
  if (g_signalfd >= 0) return 0;
  int error = InstallMaskHelper();
  if (error != 0) {
    *syscall = "sigaction";
    return error;
  }
  error = ForwardInit();
  if (error != 0) {
    *syscall = "pipe2";
    return error;
  }
  const int wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake < 0) {
    *syscall = "eventfd";
    return errno;
  }
  const sigset_t none = ToSigset(0);
  const int fd = signalfd(-1, &none, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) {
    *syscall = "signalfd";
    error = errno;
    close(wake);
    return error;
  }
  g_subscribers = new std::vector<SignalSubscriber*>();
  g_wake = wake;
  g_signalfd = fd;
  atexit(OnExit);
  return 0;
}

// Control lock held.
int StartThread(const char** syscall) {
  if (g_running) return 0;
  DiscardForwarded();  // left over from signals released before
  g_stop.store(false);
  g_thread_tid.store(0);
  // It blocks everything but the synchronous fault signals (a thread that blocks SIGSEGV dies on a fault),
  // from its first instruction: created from a thread that blocks all that.
  const sigset_t all = AllButFaultSignals();
  sigset_t saved;
  pthread_sigmask(SIG_BLOCK, &all, &saved);
  const int error = pthread_create(&g_thread, nullptr, ThreadMain, nullptr);
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (error != 0) {
    *syscall = "pthread_create";
    return error;
  }
  while (g_thread_tid.load(std::memory_order_acquire) == 0) sched_yield();
  g_running = true;
  return 0;
}

// pthread_join returns when the kernel clears the thread's tid word, which it does before it takes the thread
// out of the thread group: for a moment /proc/self/task still lists the thread, and a close() followed by
// threadSignalMasks() would show it. Wait until the kernel no longer knows the tid (tgkill with signal 0 says
// ESRCH), bounded, because a traced thread stays a zombie until its tracer reaps it.
void WaitUntilReaped(int tid) {
  const pid_t process = getpid();
  const int64_t deadline = NowNs() + 100 * 1000000LL;
  while (!(syscall(SYS_tgkill, process, tid, 0) != 0 && errno == ESRCH) && NowNs() < deadline) sched_yield();
}

// Control lock held.
void StopThread() {
  if (!g_running) return;
  g_stop.store(true, std::memory_order_release);
  Wake();
  if (pthread_join(g_thread, nullptr) != 0) abort();
  WaitUntilReaped(g_thread_tid.load());
  g_running = false;
  g_thread_tid.store(0);
}

uint64_t WatchedBits() {
  uint64_t bits = 0;
  for (int signo = 1; signo <= 64; signo++) {
    if (g_counts[signo] > 0) bits |= SignalBit(signo);
  }
  return bits;
}

// Control lock held. Every watched signal is read by exactly one signalfd: a subscriber's own when the subscriber
// has one and shares none of its signals with another subscriber and does not watch SIGCHLD (only the dedicated
// thread hands that on to libuv), else the dedicated thread's. Under the dispatch lock, so that no read is between its read and its queueing while a
// signal moves (an instance pending meanwhile waits in the kernel for the new reader). The audit starts its
// schedule again.
void Rebalance() {
  pthread_mutex_lock(&g_dispatch);
  uint64_t thread_set = WatchedBits();
  uint64_t loop_any = 0;
  for (SignalSubscriber* subscriber : *g_subscribers) {
    // All of a subscriber's signals or none: two readers would lose the kernel's order between its signals.
    uint64_t own = 0;
    bool alone = Access::LoopFd(subscriber) >= 0;
    for (int signo = 1; signo <= 64 && alone; signo++) {
      if (Access::Count(subscriber, signo) == 0) continue;
      if (g_counts[signo] == 1 && signo != SIGCHLD) {
        own |= SignalBit(signo);
      } else {
        alone = false;
      }
    }
    if (!alone) own = 0;
    thread_set &= ~own;
    loop_any |= own;
    if (own != Access::LoopSet(subscriber)) {
      SetSignalfdMask(Access::LoopFd(subscriber), own);
      Access::LoopSet(subscriber) = own;
    }
  }
  SetSignalfdMask(g_signalfd, thread_set);
  g_thread_set.store(thread_set, std::memory_order_release);
  g_loop_any.store(loop_any, std::memory_order_release);
  pthread_mutex_unlock(&g_dispatch);
  g_audit_soon.store(true, std::memory_order_release);
  Wake();
}

// Dispatch lock held: the subscriber's own signalfd reads nothing more, and the hub forgets it.
void DropLoopFd(SignalSubscriber* subscriber) {
  if (Access::LoopFd(subscriber) >= 0 && Access::LoopSet(subscriber) != 0) SetSignalfdMask(Access::LoopFd(subscriber), 0);
  Access::LoopSet(subscriber) = 0;
  Access::LoopFd(subscriber) = -1;
}

void SetWanted(SignalSubscriber* subscriber) {
  uint64_t wanted = 0;
  for (int signo = 1; signo <= 64; signo++) {
    if (Access::Count(subscriber, signo) > 0) wanted |= SignalBit(signo);
  }
  pthread_mutex_lock(&g_dispatch);
  Access::Wanted(subscriber) = wanted;
  pthread_mutex_unlock(&g_dispatch);
}

// Of `signals`, those pending on some thread of their own (thread-directed: tgkill, raise), read from
// /proc/self/task. Best effort: a thread that cannot be read is left out.
uint64_t PendingOnThreads(uint64_t signals) {
  std::vector<int> tids;
  if (ListThreads(0, &tids) != 0) return 0;
  uint64_t pending = 0;
  for (int tid : tids) {
    ThreadStatus status;
    if (ReadThreadStatus(0, tid, &status) == 0) pending |= status.pending & signals;
  }
  return pending;
}

// Control lock held: the last watch of each of `signals` has gone.
//
// Order, so that no instance is ever discarded by the kernel for arriving at the wrong moment: while every
// thread still blocks the signals, (1) discard the thread-directed instances left pending on threads that block
// them (SIG_IGN discards every pending instance; an arrival while the signal is ignored is kept, because the
// kernel never ignores a signal that is blocked), at once (2) restore the old disposition, (3) stop the signalfd
// from reading them, and only then (4) unblock them on every thread. An instance that arrives before (3) is
// the watch's (it may be discarded at (1) or taken by the dedicated thread for a closing watcher); one that
// arrives after stays pending until (4) and then meets the old disposition, as it would without memprobe.
// Unblocking with SIG_IGN still in place (the former order) discarded every arrival for the whole pass over
// the threads' masks, a SIGTERM included.
void ReleaseSignalSet(uint64_t signals) {
  if (signals == 0) return;
  struct sigaction final_action[65];
  struct sigaction ignore;
  memset(&ignore, 0, sizeof ignore);
  ignore.sa_handler = SIG_IGN;
  // Not SIGCHLD: ignoring it makes the kernel reap children libuv is waiting for. Our handler stays for it
  // until after (4) and swallows what is pending; one SIGCHLD is sent afterwards instead (below).
  const uint64_t stuck = PendingOnThreads(signals & ~SignalBit(SIGCHLD));
  for (int signo = 1; signo <= 64; signo++) {
    if (!(signals & SignalBit(signo))) continue;
    struct sigaction current;
    if (sigaction(signo, nullptr, &current) != 0) abort();
    final_action[signo] = IsForwardingAction(current) ? g_saved[signo] : current;
    if (signo == SIGCHLD) continue;
    if ((stuck & SignalBit(signo)) && sigaction(signo, &ignore, nullptr) != 0) abort();
    if (sigaction(signo, &final_action[signo], nullptr) != 0) abort();
  }
  Rebalance();
  ReleaseSignals(signals, g_thread_tid.load());
  if (signals & SignalBit(SIGCHLD)) {
    const struct sigaction& restored = final_action[SIGCHLD];
    if (sigaction(SIGCHLD, &restored, nullptr) != 0) abort();
    const bool handler = (restored.sa_flags & SA_SIGINFO) || (restored.sa_handler != SIG_DFL && restored.sa_handler != SIG_IGN);
    // Children that exited while memprobe held SIGCHLD: one SIGCHLD lets libuv (or whoever) reap them.
    if (handler) kill(getpid(), SIGCHLD);
  }
  if (WatchedBits() == 0) StopThread();
}

}  // namespace

SignalSubscriber::SignalSubscriber() { pthread_mutex_init(&queue_lock_, nullptr); }
SignalSubscriber::~SignalSubscriber() { pthread_mutex_destroy(&queue_lock_); }

void SignalSubscriber::TakeQueued(std::vector<SignalEvent>* out) {
  out->clear();
  pthread_mutex_lock(&queue_lock_);
  out->swap(queue_);
  notify_pending_ = false;
  pthread_mutex_unlock(&queue_lock_);
}

int HubWatch(SignalSubscriber* subscriber, const std::vector<int>& signals, const char** syscall) {
  SignalControlLock lock;
  int error = EnsureResources(syscall);
  if (error != 0) return error;
  uint64_t fresh = 0;
  for (int signo : signals) {
    if (WatchRefusal(signo) != nullptr) {
      *syscall = "sigaction";
      return EINVAL;
    }
    if (g_counts[signo] == 0) fresh |= SignalBit(signo);
  }
  error = StartThread(syscall);
  if (error != 0) return error;

  // Subscribed first, so that an instance the forwarding handler catches from here on is handed on.
  for (int signo : signals) {
    if (Access::Count(subscriber, signo)++ == 0) g_counts[signo]++;
  }
  pthread_mutex_lock(&g_dispatch);
  bool listed = false;
  for (SignalSubscriber* s : *g_subscribers) listed = listed || s == subscriber;
  if (!listed) g_subscribers->push_back(subscriber);
  Access::Dead(subscriber) = false;
  pthread_mutex_unlock(&g_dispatch);
  SetWanted(subscriber);

  // Held before the handler goes in: an instance it catches meanwhile blocks the set on its thread, as later.
  const uint64_t marked = fresh;
  MarkHeld(marked);
  const struct sigaction forwarding = ForwardingAction();
  for (int signo = 1; signo <= 64 && error == 0; signo++) {
    if (!(fresh & SignalBit(signo))) continue;
    if (sigaction(signo, &forwarding, &g_saved[signo]) != 0) {
      error = errno;
      *syscall = "sigaction";
      fresh &= ~SignalBit(signo);  // its disposition was not changed
      for (int later = signo + 1; later <= 64; later++) fresh &= ~SignalBit(later);
    } else if (signo == SIGCHLD) {
      RecordChildPrevious(g_saved[signo]);
    }
  }
  // A signal another subscriber already watches moves to the dedicated thread (fan-out) if an event loop read it.
  if (error == 0) Rebalance();
  if (error == 0 && fresh != 0) {  // nothing more to do for signals already watched elsewhere
    error = HoldSignals(fresh, g_thread_tid.load());
    if (error != 0) *syscall = "opendir";
  }
  if (error != 0) {
    // Undo: the counts, then whatever was taken (ReleaseSignalSet restores the dispositions).
    for (int signo : signals) {
      if (--Access::Count(subscriber, signo) == 0) g_counts[signo]--;
    }
    SetWanted(subscriber);
    ReleaseSignalSet(fresh);
    if (marked & ~fresh) ReleaseSignals(marked & ~fresh, g_thread_tid.load());  // held, never installed
    if (WatchedBits() == 0) StopThread();
  }
  return error;
}

void HubUnwatch(SignalSubscriber* subscriber, const std::vector<int>& signals) {
  SignalControlLock lock;
  uint64_t released = 0;
  for (int signo : signals) {
    if (signo < 1 || signo > 64 || Access::Count(subscriber, signo) == 0) continue;
    if (--Access::Count(subscriber, signo) == 0 && --g_counts[signo] == 0) released |= SignalBit(signo);
  }
  SetWanted(subscriber);
  ReleaseSignalSet(released);
  if (g_subscribers != nullptr) Rebalance();  // a signal now watched by one subscriber only may go to its loop
}

void HubRemove(SignalSubscriber* subscriber) {
  SignalControlLock lock;
  if (g_subscribers == nullptr) return;
  uint64_t released = 0;
  for (int signo = 1; signo <= 64; signo++) {
    if (Access::Count(subscriber, signo) == 0) continue;
    Access::Count(subscriber, signo) = 0;
    if (--g_counts[signo] == 0) released |= SignalBit(signo);
  }
  pthread_mutex_lock(&g_dispatch);
  std::vector<SignalSubscriber*>& list = *g_subscribers;
  for (size_t i = 0; i < list.size(); i++) {
    if (list[i] == subscriber) {
      list.erase(list.begin() + static_cast<long>(i));
      break;
    }
  }
  DropLoopFd(subscriber);
  pthread_mutex_unlock(&g_dispatch);
  ReleaseSignalSet(released);
  Rebalance();
}

bool HubReclaim(int signo) {
  SignalControlLock lock;
  if (signo < 1 || signo > 64 || g_counts[signo] == 0) return false;
  struct sigaction current;
  if (sigaction(signo, nullptr, &current) != 0) abort();
  if (IsForwardingAction(current)) return false;
  const struct sigaction forwarding = ForwardingAction();
  if (sigaction(signo, &forwarding, nullptr) != 0) abort();
  g_saved[signo] = current;  // what the displacer wants once memprobe lets go
  if (signo == SIGCHLD) RecordChildPrevious(current);
  return true;
}

void HubSync() {
  SignalControlLock lock;  // the thread cannot be stopped meanwhile
  if (!g_running) return;
  const uint64_t target = g_sync_requested.fetch_add(1, std::memory_order_acq_rel) + 1;
  Wake();
  pthread_mutex_lock(&g_sync_lock);
  while (g_sync_done < target) pthread_cond_wait(&g_sync_cond, &g_sync_lock);
  pthread_mutex_unlock(&g_sync_lock);
}

uint64_t HubTakenCount() { return g_taken.load(std::memory_order_relaxed); }
uint64_t HubLoopReadCount() { return g_loop_read.load(std::memory_order_relaxed); }

int HubSetLoopFd(SignalSubscriber* subscriber, int fd) {
  SignalControlLock lock;
  if (fd >= 0) {
    const sigset_t none = ToSigset(0);
    if (signalfd(fd, &none, 0) < 0) return errno;
  }
  pthread_mutex_lock(&g_dispatch);
  DropLoopFd(subscriber);
  Access::LoopFd(subscriber) = fd;
  pthread_mutex_unlock(&g_dispatch);
  if (g_subscribers != nullptr) Rebalance();
  return 0;
}

size_t HubReadLoop(SignalSubscriber* subscriber) {
  constexpr int kMaxBatches = 8;  // then back to the loop, which calls again while the fd stays readable
  signalfd_siginfo infos[kBatch];
  SignalEvent events[kBatch];
  size_t total = 0;
  pthread_mutex_lock(&g_dispatch);
  const int fd = Access::LoopFd(subscriber);
  for (int batch = 0; batch < kMaxBatches && fd >= 0 && !g_exiting; batch++) {
    ssize_t n;
    do {
      n = read(fd, infos, sizeof infos);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) break;
    const size_t read_count = static_cast<size_t>(n) / sizeof(signalfd_siginfo);
    size_t count = 0;
    for (size_t i = 0; i < read_count; i++) {
      // Directed at this very thread, which blocks it: pending there until close would discard it.
      if (infos[i].ssi_code != SI_TKILL) events[count++] = EventFromSignalfd(infos[i]);
    }
    DispatchLocked(events, count, subscriber);
    total += read_count;
    if (read_count < kBatch) break;
  }
  pthread_mutex_unlock(&g_dispatch);
  g_loop_read.fetch_add(total, std::memory_order_relaxed);
  return total;
}

void HubNudge() {
  SignalControlLock lock;
  if (g_running) Wake();
}

int HubThreadId() { return g_thread_tid.load(std::memory_order_acquire); }

}  // namespace memprobe
