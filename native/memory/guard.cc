#include "memory/guard.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <mutex>

#include "memory/arch.h"
#include "common/machine.h"
#include "memory/fault_chain.h"
#include "memory/fault_claims.h"
#include "memory/guarded_access.h"
#include "memory/guarded_regions.h"

namespace memprobe {

namespace guard_detail {
__thread bool t_thread_prepared MEMPROBE_SIGNAL_SAFE_TLS = false;

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

constexpr int kSignals[2] = {SIGSEGV, SIGBUS};
constexpr int kAutoDisarm = static_cast<int>(1U << 31);  // SS_AUTODISARM (linux/signal.h; not in glibc 2.36)
constexpr size_t kKernelSigsetBytes = 8;                  // the kernel's sigset_t: signals 1..64

std::atomic<bool> g_installed{false};
std::atomic<uint64_t> g_reasserted{0};
std::mutex g_install_mutex;  // installers only, never the handler

// Leaving without sigreturn: decided once at install; the restorer tells a call by the kernel from a call by
// another handler (which must return to its caller).
bool g_fast_exit_possible = false;
std::atomic<bool> g_fast_exit{false};
void* g_restorer = nullptr;

void OnFault(int signo, siginfo_t* info, void* context);

bool IsOurHandler(const struct sigaction& action) {
  return (action.sa_flags & SA_SIGINFO) && action.sa_sigaction == OnFault;
}

bool Query(int signo, struct sigaction* action) {
  memset(action, 0, sizeof *action);  // glibc fills only the kernel's 8 bytes of the mask
  return sigaction(signo, nullptr, action) == 0;
}

bool HandlerInstalled(int signo) {
  struct sigaction current;
  return Query(signo, &current) && IsOurHandler(current);
}

// A fault the kernel raised at the faulting instruction (not sent, not an asynchronous memory-error report).
bool IsSynchronousFault(int signo, int code) { return code > 0 && !(signo == SIGBUS && code == BUS_MCEERR_AO); }

// Leaving by a jump skips what sigreturn would restore: the routine's registers (memprobe_guard_resume restores
// those it relies on), the thread's signal mask, the alternate stack and the extended FPU state. Only when the
// handler is about to return to the kernel's restorer does nothing of a caller run after it (the kernel called
// it, or a handler the kernel called tail-called it); then the mask must be the one sigreturn would restore
// (a handler without SA_NODEFER that tail-called us runs with SIGSEGV blocked: one rt_sigprocmask query tells),
// and an auto-disarmed alternate stack must be re-armed, which only sigreturn does atomically.
bool CanLeaveWithoutSigreturn(const ucontext_t* uc, const void* return_address) {
  if (return_address != g_restorer || (uc->uc_stack.ss_flags & kAutoDisarm) || !arch::FrameAllowsFastExit(uc)) {
    return false;
  }
  sigset_t now;
  if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, nullptr, &now, kKernelSigsetBytes) != 0) return false;
  return memcmp(&now, &uc->uc_sigmask, kKernelSigsetBytes) == 0;
}

void OnFault(int signo, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  auto* uc = static_cast<ucontext_t*>(context);
  const bool synchronous = IsSynchronousFault(signo, info->si_code);
  // Claimants first (fault_claims.h): a fault owned by its address is retried, whoever made it, a guarded
  // routine included. Leaving by sigreturn retries the access.
  if (synchronous && ClaimFault(signo, info, uc)) {
    errno = saved_errno;
    return;
  }
  const char* recover = synchronous ? GuardedRecoveryLabel(arch::ProgramCounter(uc)) : nullptr;
  if (recover != nullptr) {
    arch::ResumeAt(uc, recover, EncodeTrap(signo, info->si_code), reinterpret_cast<uintptr_t>(info->si_addr));
    errno = saved_errno;
    if (arch::kHasFastExit && g_fast_exit.load(std::memory_order_relaxed) &&
        CanLeaveWithoutSigreturn(uc, __builtin_return_address(0))) {
      arch::LeaveWithoutSigreturn(uc);
    }
    return;
  }
  ChainToPrevious(signo, info, context, HandlerInstalled);
  errno = saved_errno;
}

struct sigaction OurAction() {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = OnFault;
  // NODEFER + empty mask: the handler runs with the thread's own mask, so leaving it without sigreturn leaves
  // the mask as it was, and a fault inside a chained handler's probe is still caught.
  action.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  return action;
}

bool SameHandler(const struct sigaction& a, const struct sigaction& b) {
  return a.sa_handler == b.sa_handler && a.sa_flags == b.sa_flags && memcmp(&a.sa_mask, &b.sa_mask, 8) == 0;
}

// Installs our handler for `signo`, recording what it replaces first so a fault in between is chained right.
// Returns 1 if it took the signal, 0 if it was ours already, -errno on failure.
int TakeSignal(int signo, bool first) {
  struct sigaction current;
  if (!Query(signo, &current)) return -errno;
  if (IsOurHandler(current)) return 0;
  if (first) {
    ChainStart(signo, current);
  } else {
    ChainDisplacedBy(signo, current);
  }
  const struct sigaction ours = OurAction();
  struct sigaction replaced;
  memset(&replaced, 0, sizeof replaced);
  if (sigaction(signo, &ours, &replaced) != 0) return -errno;
  // Someone installed another action between the query and ours: it displaced `current`.
  if (!IsOurHandler(replaced) && !SameHandler(replaced, current)) ChainDisplacedBy(signo, replaced);
  return 1;
}

}  // namespace

bool GuardRecoverOneFault(arch::ControlState* set, arch::ControlState* after) {
  const size_t page = GetMachine().page_size;
  void* inaccessible = mmap(nullptr, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (inaccessible == MAP_FAILED) return false;
  const arch::ControlState original = arch::ReadControlState();
  *set = arch::DistinctControlState(original);
  arch::WriteControlState(*set);
  const GuardedResult result = memprobe_touch_read(static_cast<const uint8_t*>(inaccessible));
  *after = arch::ReadControlState();
  arch::WriteControlState(original);
  munmap(inaccessible, page);
  return result.trap != 0;
}

uint64_t GuardRecoverFaults(uint64_t count) {
  const size_t page = GetMachine().page_size;
  void* inaccessible = mmap(nullptr, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (inaccessible == MAP_FAILED) return 0;
  uint64_t recovered = 0;
  for (uint64_t i = 0; i < count; i++) recovered += memprobe_touch_read(static_cast<const uint8_t*>(inaccessible)).trap != 0;
  munmap(inaccessible, page);
  return recovered;
}

bool GuardFastExitPossible() { return g_fast_exit_possible; }

int GuardInstall() {
  std::lock_guard<std::mutex> lock(g_install_mutex);
  if (g_installed.load()) return 0;
  for (int signo : kSignals) {
    const int taken = TakeSignal(signo, true);
    if (taken < 0) return -taken;
  }
  struct sigaction ours;
  if (Query(SIGSEGV, &ours)) g_restorer = reinterpret_cast<void*>(ours.sa_restorer);
  // Without sigreturn the shadow stack would keep the handler's frame, and PKRU the handler's default rights
  // (x86-64; the aarch64 guard always leaves by sigreturn): the architecture layer decides.
  g_fast_exit_possible = arch::FastExitPossible(g_restorer);
  g_fast_exit.store(g_fast_exit_possible);
  guard_detail::UnblockFaultSignalsOnThisThread();
  // The fast exit restores by hand what sigreturn would (x86: MXCSR, the x87 control word, PKRU): prove it
  // once, with distinctive values, or leave every handler by sigreturn.
  if (g_fast_exit_possible) {
    arch::ControlState set, after;
    if (!GuardRecoverOneFault(&set, &after) || !(set == after)) {
      g_fast_exit_possible = false;
      g_fast_exit.store(false);
    }
  }
  g_installed.store(true);
  return 0;
}

int GuardReassert() {
  std::lock_guard<std::mutex> lock(g_install_mutex);
  if (!g_installed.load()) return 0;
  int taken = 0;
  for (int signo : kSignals) {
    if (TakeSignal(signo, false) > 0) taken++;
  }
  if (taken > 0) g_reasserted.fetch_add(taken);
  return taken;
}

GuardStatus GuardGetStatus() {
  std::lock_guard<std::mutex> lock(g_install_mutex);
  GuardStatus status{};
  status.installed = g_installed.load();
  for (int slot = 0; slot < 2; slot++) {
    if (!HandlerInstalled(kSignals[slot])) status.installed = false;
    ChainDescribe(kSignals[slot], status.previous[slot], sizeof status.previous[slot]);
  }
  status.reasserted = g_reasserted.load();
  return status;
}

void GuardSetFastExit(bool enabled) { g_fast_exit.store(enabled && g_fast_exit_possible); }

void GuardUseV8TrapHandler(bool use) { ChainUseV8TrapHandler(use); }

}  // namespace memprobe
