#include "memory/fault_claims.h"

#include <stdlib.h>

#include <atomic>

namespace memprobe {

namespace {

// Enough for the addon's claimants; registering one more is a build mistake (abort at load, never a silent miss
// that would turn a claimed fault into a crash).
constexpr int kMaxClaimants = 4;

// Constant-initialised, so registrations from any file's static initialiser find it ready.
FaultClaimant g_claimants[kMaxClaimants];
std::atomic<int> g_count{0};

}  // namespace

bool RegisterFaultClaimant(FaultClaimant claimant) {
  const int index = g_count.load(std::memory_order_relaxed);
  if (index >= kMaxClaimants) abort();
  g_claimants[index] = claimant;
  g_count.store(index + 1, std::memory_order_release);
  return true;
}

bool ClaimFault(int signo, siginfo_t* info, ucontext_t* context) {
  const int count = g_count.load(std::memory_order_acquire);
  for (int i = 0; i < count; i++) {
    if (g_claimants[i](signo, info, context)) return true;
  }
  return false;
}

}  // namespace memprobe
