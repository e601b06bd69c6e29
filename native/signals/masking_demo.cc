#include "signals/masking_demo.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

#include "signals/signal_hub.h"
#include "signals/thread_masks.h"

namespace memprobe {

namespace {

constexpr int kThreads = 3;
constexpr int kOpenThread = 1;  // the middle one does not block the demo signal
const char* const kNames[kThreads] = {"demo-blocks-1", "demo-open", "demo-blocks-2"};
constexpr long kWaitLimitNs = 2000000000;

std::atomic<int> g_handled_count{0};
std::atomic<int> g_handled_by{0};

void OnDemoSignal(int) {
  const int saved_errno = errno;
  g_handled_by.store(static_cast<int>(syscall(SYS_gettid)), std::memory_order_relaxed);
  g_handled_count.fetch_add(1, std::memory_order_release);
  errno = saved_errno;
}

struct ThreadArgument {
  int signo;
  int index;
  int release_fd;  // read end: EOF tells the thread to exit
  std::atomic<int>* tid;
};

void* DemoThreadMain(void* raw) {
  const ThreadArgument& argument = *static_cast<ThreadArgument*>(raw);
  pthread_setname_np(pthread_self(), kNames[argument.index]);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, argument.signo);
  pthread_sigmask(argument.index == kOpenThread ? SIG_UNBLOCK : SIG_BLOCK, &set, nullptr);
  argument.tid->store(static_cast<int>(syscall(SYS_gettid)), std::memory_order_release);
  char byte;
  while (read(argument.release_fd, &byte, 1) != 0) {  // SA_RESTART: the handler does not end it
  }
  return nullptr;
}

// The handler has run `count` times, or the limit passed; returns the tid that ran it last (0 if none).
int WaitHandled(int count) {
  struct timespec pause = {0, 100000};
  for (long waited = 0; waited < kWaitLimitNs; waited += pause.tv_nsec) {
    if (g_handled_count.load(std::memory_order_acquire) >= count) return g_handled_by.load(std::memory_order_relaxed);
    nanosleep(&pause, nullptr);
  }
  return 0;
}

// A real-time signal nobody handles and memprobe does not hold.
int PickSignal() {
  for (int signo = SIGRTMIN; signo <= SIGRTMAX; signo++) {
    if (signo == MaskHelperSignal() || (HeldSignals() & SignalBit(signo))) continue;
    struct sigaction current;
    if (sigaction(signo, nullptr, &current) == 0 && !(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_DFL) {
      return signo;
    }
  }
  return 0;
}

}  // namespace

int RunMaskingDemo(MaskingDemoResult* result, const char** syscall_name) {
  SignalControlLock lock;
  int error = InstallMaskHelper();
  if (error != 0) {
    *syscall_name = "sigaction";
    return error;
  }
  const int signo = PickSignal();
  if (signo == 0) {
    *syscall_name = "sigaction";
    return EBUSY;
  }
  result->signo = signo;
  g_handled_count.store(0);
  g_handled_by.store(0);

  struct sigaction demo, previous, ignore;
  memset(&demo, 0, sizeof demo);
  demo.sa_handler = OnDemoSignal;
  demo.sa_flags = SA_RESTART;
  sigemptyset(&demo.sa_mask);
  memset(&ignore, 0, sizeof ignore);
  ignore.sa_handler = SIG_IGN;
  if (sigaction(signo, &demo, &previous) != 0) {
    *syscall_name = "sigaction";
    return errno;
  }
  // Every thread blocks it, the demo threads inherit that, and each then sets its own mask.
  error = HoldSignals(SignalBit(signo), HubThreadId());
  if (error != 0) {
    sigaction(signo, &previous, nullptr);
    *syscall_name = "opendir";
    return error;
  }

  int release[2] = {-1, -1};
  pthread_t threads[kThreads];
  std::atomic<int> tids[kThreads];
  ThreadArgument arguments[kThreads];
  int started = 0;
  if (pipe2(release, O_CLOEXEC) != 0) {
    error = errno;
    *syscall_name = "pipe2";
  }
  for (int i = 0; error == 0 && i < kThreads; i++) {
    tids[i].store(0);
    arguments[i] = ThreadArgument{signo, i, release[0], &tids[i]};
    error = pthread_create(&threads[i], nullptr, DemoThreadMain, &arguments[i]);
    if (error != 0) {
      *syscall_name = "pthread_create";
    } else {
      started++;
    }
  }
  for (int i = 0; i < started; i++) {
    while (tids[i].load(std::memory_order_acquire) == 0) sched_yield();
  }

  if (error == 0) {
    for (int i = 0; i < kThreads; i++) result->demo_threads.push_back(DemoThread{tids[i].load(), i != kOpenThread, kNames[i]});
    error = ReadAllThreadStatuses(0, &result->before);
    if (error != 0) *syscall_name = "opendir";
  }
  if (error == 0) {
    // Process-directed: the kernel may pick any thread that does not block it; only demo-open qualifies.
    kill(getpid(), signo);
    result->process_directed_to = WaitHandled(1);
    // Thread-directed at a thread that blocks it: it stays pending on that thread.
    result->blocked_target = tids[0].load();
    syscall(SYS_tgkill, getpid(), result->blocked_target, signo);
    error = ReadThreadStatus(0, result->blocked_target, &result->blocked_target_after);
    if (error != 0) *syscall_name = "open";
    result->blocked_target_handled_by = g_handled_count.load() > 1 ? g_handled_by.load() : 0;
    // Thread-directed at the thread that does not block it: delivered there at once.
    result->open_target = tids[kOpenThread].load();
    syscall(SYS_tgkill, getpid(), result->open_target, signo);
    result->open_target_handled_by = WaitHandled(2);
    if (error == 0) error = ReadThreadStatus(0, result->open_target, &result->open_target_after);
  }

  // SIG_IGN discards the instance pending on demo-blocks-1; then the threads go, the masks and the
  // disposition come back.
  sigaction(signo, &ignore, nullptr);
  if (release[1] >= 0) close(release[1]);
  for (int i = 0; i < started; i++) pthread_join(threads[i], nullptr);
  if (release[0] >= 0) close(release[0]);
  ReleaseSignals(SignalBit(signo), HubThreadId());
  sigaction(signo, &previous, nullptr);
  return error;
}

}  // namespace memprobe
