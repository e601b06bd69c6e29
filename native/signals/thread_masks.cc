#include "signals/thread_masks.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <vector>

#include "common/libc.h"
#include "signals/proc_status.h"

namespace memprobe {

namespace {

pthread_mutex_t g_control = PTHREAD_MUTEX_INITIALIZER;
std::atomic<uint64_t> g_held{0};
// The held set as of the last completed HoldSignals/ReleaseSignals. A thread the helper meets for the first
// time inherited these bits from memprobe (it was created while they were held), so they count as memprobe's.
std::atomic<uint64_t> g_settled{0};
bool g_helper_installed = false;  // control lock
// Threads seen blocking the helper in an earlier pass: they manage their own mask, so later passes skip them
// at once instead of watching them for kBlockerObservationNs again. Control lock; never freed.
std::vector<int>* g_helper_blockers = nullptr;

// Per thread: the bits of its mask memprobe blocked (and will unblock), and whether the helper has met it.
__thread uint64_t t_ours MEMPROBE_SIGNAL_SAFE_TLS = 0;
__thread bool t_seen MEMPROBE_SIGNAL_SAFE_TLS = false;
// Set on a thread about to call execve: the helper and the forwarding handler leave its mask alone.
__thread bool t_execing MEMPROBE_SIGNAL_SAFE_TLS = false;

// The kernel's part of a sigset_t (libc.h): a handler's uc_sigmask is only those 8 bytes in the kernel's frame.
uint64_t KernelBits(const sigset_t* mask) { return KernelSignalBits(mask); }
void SetKernelBits(sigset_t* mask, uint64_t bits) { SetKernelSignalBits(mask, bits); }

void OnMaskHelper(int, siginfo_t*, void* context) {
  const int saved_errno = errno;  // nothing here sets it; kept for the rule
  ApplyHeldSet(&static_cast<ucontext_t*>(context)->uc_sigmask);
  errno = saved_errno;
}

int64_t NowNs() {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

void SleepNs(long ns) {
  struct timespec pause = {0, ns};
  while (nanosleep(&pause, &pause) != 0 && errno == EINTR) {
  }
}

// The calling thread's mask, read and written with every signal blocked so the helper cannot run in between.
uint64_t ChangeOwnMask(uint64_t (*change)(uint64_t current, const void* argument), const void* argument) {
  const sigset_t all = AllButFaultSignals();
  sigset_t saved;
  pthread_sigmask(SIG_BLOCK, &all, &saved);
  const uint64_t before = KernelBits(&saved);
  SetKernelBits(&saved, change(before, argument));
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  return before;
}

uint64_t ApplyHeldBits(uint64_t current, const void*) {
  sigset_t mask;
  sigemptyset(&mask);
  SetKernelBits(&mask, current);
  ApplyHeldSet(&mask);
  return KernelBits(&mask);
}

// A thread that has not run the helper by then is left to run it later (it is pending there) and to the audit.
constexpr int64_t kConvergeTimeoutNs = 200000000;
constexpr int64_t kBlockerObservationNs = 2000000;  // blocking the helper this long is not a passing state
constexpr long kPollNs = 200000;

enum class PassState { kTodo, kSent, kBlocksHelper, kDone };
struct PassEntry {
  int tid;
  PassState state;
  int64_t first_seen_blocking;
};

PassEntry& EntryFor(std::vector<PassEntry>& entries, int tid) {
  for (PassEntry& entry : entries) {
    if (entry.tid == tid) return entry;
  }
  entries.push_back(PassEntry{tid, PassState::kTodo, 0});
  return entries.back();
}

bool KnownHelperBlocker(int tid) {
  for (int blocker : *g_helper_blockers) {
    if (blocker == tid) return true;
  }
  return false;
}

void ForgetHelperBlocker(int tid) {
  std::vector<int>& blockers = *g_helper_blockers;
  for (size_t i = 0; i < blockers.size(); i++) {
    if (blockers[i] == tid) {
      blockers[i] = blockers.back();
      blockers.pop_back();
      return;
    }
  }
}

// A thread about to call execve (PrepareThisThreadForExec) gets no helper: a pending one would outlive the
// exec. Senders announce themselves in g_sending before they look at g_exec_tid, and the preparing thread
// waits for g_sending to drain after publishing its tid (both seq_cst): either a sender sees the tid, or the
// preparer sees it sending and waits until its tgkill is done.
std::atomic<int> g_exec_tid{0};
std::atomic<int> g_sending{0};

bool SendHelper(pid_t pid, int tid) {
  g_sending.fetch_add(1);
  if (tid == g_exec_tid.load()) {
    g_sending.fetch_sub(1);
    return false;  // as if it had exited: it is about to
  }
  const long sent = syscall(SYS_tgkill, pid, tid, MaskHelperSignal());
  g_sending.fetch_sub(1);
  if (sent == 0) return true;
  if (errno != ESRCH) abort();  // a standard signal to a thread of this process: nothing else can fail
  return false;                 // it exited
}

// Sends the helper to every thread whose mask does not yet block `hold` or still blocks some of `release`,
// and waits until each has run it. Once it has, the mask is verified, not only that the helper ran: if the
// helper ran nested inside another handler whose sa_mask let it in (V8's SIGPROF handler has an empty one),
// that handler's sigreturn restores the mask it interrupted, and the thread gets the helper again.
// A thread caught blocking the helper (all signals are blocked around pthread_create's clone and pthread_kill,
// inside most handlers, around libuv's fork) gets one left pending, which runs when it lets the helper in, and
// is looked at for kBlockerObservationNs; one that keeps blocking it is left to that pending helper and to the
// audit (AuditHeldSet), and later passes look at it again without waiting. Threads created meanwhile show
// up in the next listing and are handled the same way.
// Returns 0, or the errno that kept it from listing the threads at all.
int Converge(uint64_t hold, uint64_t release, int exempt_tid) {
  const uint64_t helper_bit = SignalBit(MaskHelperSignal());
  const pid_t pid = getpid();
  const int self = static_cast<int>(syscall(SYS_gettid));
  ChangeOwnMask(ApplyHeldBits, nullptr);

  std::vector<PassEntry> entries;
  std::vector<int> tids;
  const int64_t deadline = NowNs() + kConvergeTimeoutNs;
  for (;;) {
    bool waiting = false;
    const int listed = ListThreads(0, &tids);
    if (listed != 0) return listed;  // EMFILE, ENOMEM: the caller decides
    for (int tid : tids) {
      if (tid == self || tid == exempt_tid) continue;
      PassEntry& entry = EntryFor(entries, tid);
      if (entry.state == PassState::kDone) continue;
      ThreadStatus status;
      const int read = ReadThreadStatus(0, tid, &status);
      if (read == ENOENT || read == ESRCH) {
        entry.state = PassState::kDone;  // exited
        continue;
      }
      if (read != 0) {
        waiting = true;  // out of file descriptors for a moment: look again next pass
        continue;
      }
      const bool helper_blocked = status.blocked & helper_bit;
      const bool holds = (status.blocked & hold) == hold;
      if (entry.state == PassState::kSent) {
        // The helper has run once it is neither pending nor running (a running handler blocks its own signal).
        if ((status.pending & helper_bit) || helper_blocked) {
          waiting = true;
          continue;
        }
        // Releasing, only the thread's own bookkeeping knows which blocked bits are memprobe's: its run is final.
        if (holds || release != 0) {
          entry.state = PassState::kDone;
          continue;
        }
        entry.state = PassState::kTodo;  // undone by an outer handler's return: once more
      }
      if (helper_blocked) {
        // It cannot run the helper now: leave one pending, so that it runs the moment the thread lets it in
        // again, with the held set as it is then. Blocking every signal for a moment is common (glibc's
        // pthread_kill and pthread_create do; V8's profiler thread calls pthread_kill every sampling interval),
        // and a thread preempted there looks like one that blocks the helper for good.
        if (!(status.pending & helper_bit)) SendHelper(pid, tid);
        if (KnownHelperBlocker(tid)) {
          entry.state = PassState::kDone;
        } else if (entry.state != PassState::kBlocksHelper) {
          entry.state = PassState::kBlocksHelper;
          entry.first_seen_blocking = NowNs();
          waiting = true;
        } else if (NowNs() - entry.first_seen_blocking >= kBlockerObservationNs) {
          g_helper_blockers->push_back(tid);
          entry.state = PassState::kDone;
        } else {
          waiting = true;
        }
        continue;
      }
      ForgetHelperBlocker(tid);  // it lets the helper in again
      // Releasing, a thread that still blocks a released signal gets the helper even if it blocked that signal
      // on its own: only its helper run can tell (its bookkeeping is thread-local).
      if (holds && (status.blocked & release) == 0) {
        entry.state = PassState::kDone;
        continue;
      }
      entry.state = SendHelper(pid, tid) ? PassState::kSent : PassState::kDone;
      waiting = true;
    }
    if (!waiting || NowNs() > deadline) break;
    SleepNs(kPollNs);
  }
  // Forget blockers that have exited, so a reused tid is looked at again.
  std::vector<int>& blockers = *g_helper_blockers;
  for (size_t i = 0; i < blockers.size();) {
    bool alive = false;
    for (int tid : tids) alive = alive || tid == blockers[i];
    if (alive) {
      i++;
    } else {
      blockers[i] = blockers.back();
      blockers.pop_back();
    }
  }
  return 0;
}

struct MaskRequest {
  int how;
  uint64_t signals;
};

uint64_t ApplyUserRequest(uint64_t current, const void* argument) {
  const MaskRequest& request = *static_cast<const MaskRequest*>(argument);
  const uint64_t held = g_held.load(std::memory_order_acquire);
  if (!t_seen) {
    t_ours = current & g_settled.load(std::memory_order_acquire);
    t_seen = true;
  }
  if (request.how == SIG_BLOCK) {
    t_ours &= ~request.signals;  // the user's now: stays blocked after release
    return current | request.signals;
  }
  if (request.how == SIG_UNBLOCK) {
    const uint64_t kept = request.signals & held;  // held: still blocked, unblocked at release
    t_ours |= kept & current;
    return current & ~(request.signals & ~held);
  }
  return current;
}

}  // namespace

int MaskHelperSignal() { return SIGSTKFLT; }

sigset_t AllButFaultSignals() {
  static constexpr int kFaults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS};
  sigset_t set;
  sigfillset(&set);
  for (int fault : kFaults) sigdelset(&set, fault);
  return set;
}

void LockSignalControl() {
  if (pthread_mutex_lock(&g_control) != 0) abort();
}
void UnlockSignalControl() {
  if (pthread_mutex_unlock(&g_control) != 0) abort();
}

int InstallMaskHelper() {
  if (g_helper_installed) return 0;
  struct sigaction current;
  if (sigaction(MaskHelperSignal(), nullptr, &current) != 0) return errno;
  if ((current.sa_flags & SA_SIGINFO) || current.sa_handler != SIG_DFL) return EBUSY;
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = OnMaskHelper;
  // SA_RESTART: the threads it interrupts (the libuv threadpool, V8's workers) must not see EINTR.
  action.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  if (sigaction(MaskHelperSignal(), &action, nullptr) != 0) return errno;
  g_helper_blockers = new std::vector<int>();
  g_helper_installed = true;
  return 0;
}

uint64_t HeldSignals() { return g_held.load(std::memory_order_acquire); }

void ApplyHeldSet(sigset_t* mask) {
  if (t_execing) return;
  const uint64_t held = g_held.load(std::memory_order_acquire);
  const uint64_t current = KernelBits(mask);
  if (!t_seen) {
    t_ours = current & g_settled.load(std::memory_order_acquire);
    t_seen = true;
  }
  t_ours |= held & ~current;
  const uint64_t drop = t_ours & ~held;
  t_ours &= held;
  SetKernelBits(mask, (current | held) & ~drop);
}

void MarkHeld(uint64_t signals) { g_held.fetch_or(signals, std::memory_order_acq_rel); }

int HoldSignals(uint64_t signals, int exempt_tid) {
  const uint64_t held = g_held.fetch_or(signals, std::memory_order_acq_rel) | signals;
  const int error = Converge(held, 0, exempt_tid);
  if (error != 0) {
    ReleaseSignals(signals, exempt_tid);
    return error;
  }
  g_settled.store(held, std::memory_order_release);
  return 0;
}

void ReleaseSignals(uint64_t signals, int exempt_tid) {
  const uint64_t held = g_held.fetch_and(~signals, std::memory_order_acq_rel) & ~signals;
  // Best effort when /proc cannot be listed: the threads that ran the helper before keep the old set until
  // the next pass reaches them (the calling thread is always done).
  Converge(held, signals, exempt_tid);
  g_settled.store(held, std::memory_order_release);
}

int AuditHeldSet(int exempt_tid) {
  const uint64_t held = g_held.load(std::memory_order_acquire);
  if (held == 0) return 0;
  const uint64_t helper_bit = SignalBit(MaskHelperSignal());
  const pid_t pid = getpid();
  std::vector<int> tids;
  if (ListThreads(0, &tids) != 0) return 0;  // out of descriptors: the next audit
  int sent = 0;
  for (int tid : tids) {
    if (tid == exempt_tid) continue;
    ThreadStatus status;
    if (ReadThreadStatus(0, tid, &status) != 0) continue;
    if (status.pending & helper_bit) continue;  // runs once the thread lets it in
    // Settled: blocks the set and lets the helper in. One that blocks the helper gets one left pending (above).
    if ((status.blocked & held) == held && !(status.blocked & helper_bit)) continue;
    if (SendHelper(pid, tid)) sent++;
  }
  return sent;
}

uint64_t DropOurBits(uint64_t current, const void*) {
  if (!t_seen) {
    t_ours = current & g_settled.load(std::memory_order_acquire);
    t_seen = true;
  }
  return current & ~t_ours;
}

void PrepareThisThreadForExec() {
  const int self = static_cast<int>(syscall(SYS_gettid));
  g_exec_tid.store(self);
  while (g_sending.load() != 0) sched_yield();
  t_execing = true;
  // Helpers already pending here (it blocks the helper, or it would have run them): taken off the queue, so the
  // new program does not start with a signal whose default action ends it. Never process-directed: only tgkill.
  sigset_t helper;
  sigemptyset(&helper);
  sigaddset(&helper, MaskHelperSignal());
  const struct timespec zero = {0, 0};
  while (sigtimedwait(&helper, nullptr, &zero) > 0 || errno == EINTR) {
  }
  // The new program inherits this mask: only what the thread blocked itself, as without memprobe. A watched
  // signal that lands here meanwhile meets the forwarding handler, which now leaves the mask alone.
  ChangeOwnMask(DropOurBits, nullptr);
}

void CancelExecForThisThread() {
  t_execing = false;
  g_exec_tid.store(0);
  ChangeOwnMask(ApplyHeldBits, nullptr);
}

int ChangeThisThreadMask(int how, uint64_t signals, uint64_t* previous) {
  if (how != 0 && how != SIG_BLOCK && how != SIG_UNBLOCK) return EINVAL;
  const MaskRequest request{how, signals};
  *previous = ChangeOwnMask(ApplyUserRequest, &request);
  return 0;
}

}  // namespace memprobe
