#include "memory/guard.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>

#include <atomic>
#include <mutex>

#include "memory/forward_copy.h"

namespace memprobe {

namespace guard_detail {
__thread GuardFrame* t_frame __attribute__((tls_model("initial-exec"))) = nullptr;
__thread bool t_thread_prepared __attribute__((tls_model("initial-exec"))) = false;

void UnblockFaultSignalsOnThisThread() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGSEGV);
  sigaddset(&set, SIGBUS);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  t_thread_prepared = true;
}
}  // namespace guard_detail

namespace {

using guard_detail::t_frame;
using TrapHandler = bool (*)(int, siginfo_t*, void*);

constexpr int kSignals[2] = {SIGSEGV, SIGBUS};
int SignalSlot(int signo) { return signo == SIGBUS ? 1 : 0; }

// The action a fault that is not ours goes to. Double-buffered so GuardReassert() can replace it while a
// handler reads it on another thread: the writer fills the idle slot, then publishes its index.
struct PreviousAction {
  struct sigaction slots[2];
  std::atomic<int> current{0};
  // Set when the previous action had SA_RESETHAND and ran once, or fell back to the default: from then on
  // the chain ends in SIG_DFL, as the kernel would have done.
  std::atomic<bool> reset_to_default{false};
};

PreviousAction g_previous[2];
std::atomic<bool> g_installed{false};
std::atomic<uint64_t> g_reasserted{0};
std::mutex g_install_mutex;  // installers only, never the handler
TrapHandler g_v8_trap_handler = nullptr;

// A fault handed on whose handler returned without moving the PC: if the very same fault comes straight back,
// that handler cannot fix it (libuv's, behind process.on('SIGSEGV'), only queues a message) and the process
// would spin forever. Per thread, initial-exec.
struct UnfixedFault {
  int signo;
  uintptr_t address;
  uintptr_t pc;
};
__thread UnfixedFault t_unfixed __attribute__((tls_model("initial-exec"))) = {0, 0, 0};

void OnFault(int signo, siginfo_t* info, void* context);

bool IsOurHandler(const struct sigaction& action) {
  return (action.sa_flags & SA_SIGINFO) && action.sa_sigaction == OnFault;
}

void PublishPrevious(int slot, const struct sigaction& action) {
  PreviousAction& previous = g_previous[slot];
  const int idle = 1 - previous.current.load(std::memory_order_relaxed);
  previous.slots[idle] = action;
  previous.reset_to_default.store(false, std::memory_order_relaxed);
  previous.current.store(idle, std::memory_order_release);
}

bool FaultIsOurs(const GuardFrame& frame, const siginfo_t* info) {
  if (info->si_code <= 0) return false;         // sent with kill/sigqueue/tgkill: not a fault at all
  if (info->si_code == SI_KERNEL) return true;  // non-canonical address: the kernel reports si_addr 0
  const uintptr_t address = reinterpret_cast<uintptr_t>(info->si_addr);
  for (int i = 0; i < 2; i++) {
    if (address - frame.accept_begin[i] < frame.accept_end[i] - frame.accept_begin[i]) return true;
  }
  return false;
}

uintptr_t ProgramCounter(void* context) {
  return static_cast<uintptr_t>(static_cast<ucontext_t*>(context)->uc_mcontext.gregs[REG_RIP]);
}

void RestoreDefault(int signo) {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigaction(signo, &dfl, nullptr);
}

// Hands a fault that is not ours to whoever had the signal before, exactly as the kernel would have.
void ChainToPrevious(int signo, siginfo_t* info, void* context) {
  // V8's WebAssembly bounds checks, whatever order handlers were installed in (segfault-handler drops Node's).
  if (g_v8_trap_handler != nullptr && info->si_code > 0 && g_v8_trap_handler(signo, info, context)) return;

  const bool synchronous = info->si_code > 0;
  const uintptr_t pc = ProgramCounter(context);
  const uintptr_t address = reinterpret_cast<uintptr_t>(info->si_addr);
  if (synchronous && t_unfixed.signo == signo && t_unfixed.address == address && t_unfixed.pc == pc) {
    t_unfixed = {0, 0, 0};
    RestoreDefault(signo);  // returning re-executes the access and the default action ends the process
    return;
  }

  PreviousAction& previous = g_previous[SignalSlot(signo)];
  const struct sigaction action = previous.slots[previous.current.load(std::memory_order_acquire)];
  const bool is_default = previous.reset_to_default.load(std::memory_order_relaxed) ||
                          (!(action.sa_flags & SA_SIGINFO) && action.sa_handler == SIG_DFL);
  const bool is_ignore = !(action.sa_flags & SA_SIGINFO) && action.sa_handler == SIG_IGN;
  if (is_default || (is_ignore && synchronous)) {
    // A synchronous fault cannot be ignored: the kernel kills with it, and so does the repeated access.
    RestoreDefault(signo);
    if (!synchronous) raise(signo);  // kill(pid, SIGSEGV): nothing repeats, so deliver it again, now fatal
    return;
  }
  if (is_ignore) return;

  if (action.sa_flags & SA_RESETHAND) previous.reset_to_default.store(true, std::memory_order_relaxed);
  if (action.sa_flags & SA_SIGINFO) {
    action.sa_sigaction(signo, info, context);
  } else {
    action.sa_handler(signo);
  }
  if (synchronous && ProgramCounter(context) == pc) {
    t_unfixed = {signo, address, pc};
  } else {
    t_unfixed = {0, 0, 0};
  }
}

// Resumes the copy routine at its recovery label, which returns the trap (see forward_copy.h).
void RecoverForwardCopy(int signo, const siginfo_t* info, void* context) {
  greg_t* registers = static_cast<ucontext_t*>(context)->uc_mcontext.gregs;
  registers[REG_RAX] = static_cast<greg_t>(EncodeTrap(signo, info->si_code));
  registers[REG_RDX] = reinterpret_cast<greg_t>(info->si_addr);
  registers[REG_RIP] = reinterpret_cast<greg_t>(memprobe_forward_copy_recover);
}

void OnFault(int signo, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  if (info->si_code > 0 && InForwardCopy(ProgramCounter(context))) {
    RecoverForwardCopy(signo, info, context);
    errno = saved_errno;
    return;
  }
  GuardFrame* frame = t_frame;
  if (frame != nullptr && FaultIsOurs(*frame, info)) {
    t_frame = frame->outer;
    frame->trap = GuardTrap{signo, info->si_code, reinterpret_cast<uintptr_t>(info->si_addr)};
    errno = saved_errno;
    siglongjmp(frame->env, 1);
  }
  ChainToPrevious(signo, info, context);
  errno = saved_errno;
}

struct sigaction OurAction() {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = OnFault;
  // NODEFER + empty mask: after siglongjmp the signal is not left blocked, so the next fault is caught too.
  action.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  return action;
}

// Installs our handler for `signo`, publishing what it replaces first so a fault in between is chained right.
int TakeSignal(int signo) {
  struct sigaction current;
  if (sigaction(signo, nullptr, &current) != 0) return errno;
  if (IsOurHandler(current)) return 0;
  PublishPrevious(SignalSlot(signo), current);
  const struct sigaction ours = OurAction();
  struct sigaction replaced;
  if (sigaction(signo, &ours, &replaced) != 0) return errno;
  if (memcmp(&replaced, &current, sizeof current) != 0 && !IsOurHandler(replaced)) {
    PublishPrevious(SignalSlot(signo), replaced);
  }
  return 0;
}

void Describe(const struct sigaction& action, bool reset, char* out, size_t size) {
  const bool has_info = action.sa_flags & SA_SIGINFO;
  if (reset || (!has_info && action.sa_handler == SIG_DFL)) {
    snprintf(out, size, "default");
    return;
  }
  if (!has_info && action.sa_handler == SIG_IGN) {
    snprintf(out, size, "ignore");
    return;
  }
  void* function = has_info ? reinterpret_cast<void*>(action.sa_sigaction) : reinterpret_cast<void*>(action.sa_handler);
  Dl_info where;
  const bool found = dladdr(function, &where) != 0;
  const char* symbol = found ? where.dli_sname : nullptr;
  if (symbol != nullptr && strstr(symbol, "TrapWebAssemblyOrContinue") != nullptr) {
    snprintf(out, size, "node-wasm-trap");
  } else if (found && where.dli_fname != nullptr && strstr(where.dli_fname, "segfault-handler") != nullptr) {
    snprintf(out, size, "segfault-handler");
  } else if (symbol != nullptr && where.dli_saddr == function) {
    snprintf(out, size, "handler %s", symbol);
  } else {
    snprintf(out, size, "handler %p", function);
  }
}

}  // namespace

int GuardInstall() {
  std::lock_guard<std::mutex> lock(g_install_mutex);
  if (g_installed.load()) return 0;
  g_v8_trap_handler =
      reinterpret_cast<TrapHandler>(dlsym(RTLD_DEFAULT, "_ZN2v829TryHandleWebAssemblyTrapPosixEiP9siginfo_tPv"));
  for (int signo : kSignals) {
    const int error = TakeSignal(signo);
    if (error != 0) return error;
  }
  guard_detail::UnblockFaultSignalsOnThisThread();
  g_installed.store(true);
  return 0;
}

int GuardReassert() {
  std::lock_guard<std::mutex> lock(g_install_mutex);
  if (!g_installed.load()) return 0;
  int taken = 0;
  for (int signo : kSignals) {
    struct sigaction current;
    if (sigaction(signo, nullptr, &current) != 0 || IsOurHandler(current)) continue;
    if (TakeSignal(signo) == 0) taken++;
  }
  g_reasserted.fetch_add(taken);
  return taken;
}

GuardStatus GuardGetStatus() {
  std::lock_guard<std::mutex> lock(g_install_mutex);
  GuardStatus status{};
  status.installed = g_installed.load();
  for (int signo : kSignals) {
    struct sigaction current;
    if (sigaction(signo, nullptr, &current) != 0 || !IsOurHandler(current)) status.installed = false;
  }
  status.reasserted = g_reasserted.load();
  for (int slot = 0; slot < 2; slot++) {
    const PreviousAction& previous = g_previous[slot];
    if (!g_installed.load()) {
      struct sigaction current;
      sigaction(kSignals[slot], nullptr, &current);
      Describe(current, false, status.previous[slot], sizeof status.previous[slot]);
      continue;
    }
    Describe(previous.slots[previous.current.load()], previous.reset_to_default.load(), status.previous[slot],
             sizeof status.previous[slot]);
  }
  return status;
}

}  // namespace memprobe
