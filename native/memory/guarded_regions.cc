#include "memory/guarded_regions.h"

#include <stdlib.h>

#include <atomic>

namespace memprobe {

namespace {

// Enough for every region the addon has, on any architecture; registering one more is a build mistake (abort at
// load, never a silent miss that would turn a guarded fault into a crash).
constexpr int kMaxRegions = 8;

struct Region {
  uintptr_t begin;
  uintptr_t recover;
};

// Constant-initialised, so registrations from any file's static initialiser find it ready.
Region g_regions[kMaxRegions];
std::atomic<int> g_count{0};

}  // namespace

bool RegisterGuardedRegion(const void* begin, const char* recover) {
  const int index = g_count.load(std::memory_order_relaxed);
  if (index >= kMaxRegions) abort();
  g_regions[index] = {reinterpret_cast<uintptr_t>(begin), reinterpret_cast<uintptr_t>(recover)};
  g_count.store(index + 1, std::memory_order_release);
  return true;
}

const char* GuardedRecoveryLabel(uintptr_t pc) {
  const int count = g_count.load(std::memory_order_acquire);
  for (int i = 0; i < count; i++) {
    if (pc >= g_regions[i].begin && pc < g_regions[i].recover) return reinterpret_cast<const char*>(g_regions[i].recover);
  }
  return nullptr;
}

}  // namespace memprobe
