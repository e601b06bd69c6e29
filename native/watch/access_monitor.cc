#include "watch/access_monitor.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <new>

#include "common/libc.h"
#include "common/machine.h"
#include "memory/arch.h"
#include "memory/executable.h"
#include "memory/fault_claims.h"
#include "memory/guarded_access.h"
#include "probe/map_list.h"

namespace memprobe {

namespace {

constexpr int kMaxMonitors = 64;
constexpr int kTombstones = 256;

enum PageState : uint8_t { kArmed = 0, kClaimed = 1, kRestored = 2 };
enum MonitorState : int { kLive = 0, kStopping = 1, kStopped = 2 };

struct SortedRange {
  uintptr_t start;
  uintptr_t end;
  size_t first_page;  // index of its first page in the monitor's page arrays
  size_t index;       // as given to MonitorStart
};

// A ready flag beside each report slot: set (release) by its writer once the report is whole.
struct Slot {
  AccessReport report;
  std::atomic<uint8_t> ready;
};

}  // namespace

// One mmap'd block: this header, then the sorted ranges, the page states, the original protections, the slots.
struct AccessMonitor {
  std::atomic<int> state;
  int slot;  // index in g_monitors
  size_t range_count;
  size_t page_count;
  SortedRange* ranges;
  std::atomic<uint8_t>* pages;
  uint8_t* protections;  // PROT_* as the maps had them at start
  Slot* slots;
  std::atomic<size_t> write_index;
  size_t read_index;  // the consumer's
  void (*notify)(void*);
  void* context;
  size_t block_size;
};

namespace {

std::atomic<AccessMonitor*> g_monitors[kMaxMonitors];
std::atomic<int> g_live{0};  // monitors in the table: the handler's one load when there are none
std::mutex g_mutex;          // start and stop, never the handler

// The epoch a handler reads the table in (access_monitor.h).
std::atomic<uint64_t> g_epoch{0};
std::atomic<int64_t> g_active[2];

struct Tombstone {
  std::atomic<uint64_t> sequence;  // odd while being written
  std::atomic<uintptr_t> start;
  std::atomic<uintptr_t> end;
};
Tombstone g_tombstones[kTombstones];
std::atomic<uint64_t> g_tombstones_written{0};
// [low, high): covers every tombstone in the ring, so that a fault elsewhere skips the scan. Rewritten (under
// g_mutex) after each new entry and before its monitor leaves the table; a handler that reads one bound before
// and one after a rewrite still covers every entry present in both rings.
std::atomic<uintptr_t> g_tombstones_low{0};
std::atomic<uintptr_t> g_tombstones_high{0};

// Set while the handler makes its own guarded touch, so that the touch's fault is left to the guard's PC check.
__thread bool t_probing MEMPROBE_SIGNAL_SAFE_TLS = false;

uint64_t EnterEpoch() {
  for (;;) {
    const uint64_t epoch = g_epoch.load();
    g_active[epoch & 1].fetch_add(1);
    if (g_epoch.load() == epoch) return epoch;
    g_active[epoch & 1].fetch_sub(1);
  }
}

void LeaveEpoch(uint64_t epoch) { g_active[epoch & 1].fetch_sub(1); }

// Normal code: after it returns, no handler still holds what it read from the table before the call.
void WaitForHandlers() {
  const uint64_t old = g_epoch.fetch_add(1);
  while (g_active[old & 1].load() != 0) sched_yield();
}

int ProtectionFor(const MapEntry& entry) {
  return (entry.read ? PROT_READ : 0) | (entry.write ? PROT_WRITE : 0) | (entry.execute ? PROT_EXEC : 0);
}

bool Allows(int protection, arch::FaultAccess access) {
  switch (access) {
    case arch::FaultAccess::kWrite:
      return (protection & PROT_WRITE) != 0;
    case arch::FaultAccess::kExecute:
      return (protection & PROT_EXEC) != 0;
    default:
      return (protection & PROT_READ) != 0;
  }
}

// The fault signals unblocked around a guarded load or store the handler makes itself (a handler without
// SA_NODEFER that chained to ours runs with SIGSEGV blocked), and that access's fault left to the guard's PC
// check (t_probing).
struct OwnAccess {
  sigset_t saved;
  OwnAccess() {
    sigset_t fault_signals;
    sigemptyset(&fault_signals);
    sigaddset(&fault_signals, SIGSEGV);
    sigaddset(&fault_signals, SIGBUS);
    pthread_sigmask(SIG_UNBLOCK, &fault_signals, &saved);
    t_probing = true;
  }
  ~OwnAccess() {
    t_probing = false;
    pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  }
};

// What the access was. Where the frame cannot tell (arm64 without a syndrome record, as under some emulators),
// the faulting instruction is decoded, read by a guarded load.
arch::FaultAccess Classify(const ucontext_t* uc, const siginfo_t* info) {
  const arch::FaultAccess access = arch::FaultAccessOf(uc, info, false);
  if (access != arch::FaultAccess::kUnknown) return access;
  OwnAccess own;
  return arch::FaultAccessOf(uc, info, true);
}

// Whether the access would succeed if retried now: a guarded touch for loads and stores, the maps for a fetch.
// An access nothing could classify succeeds only if a write would (no page can be written that cannot be read),
// so that a write to a read-only page is never retried forever.
bool SucceedsNow(uintptr_t address, arch::FaultAccess access) {
  if (access == arch::FaultAccess::kExecute) return ExecutableNow(address) == Executable::kYes;
  auto* byte = reinterpret_cast<uint8_t*>(address);
  OwnAccess own;
  const GuardedResult touch = access == arch::FaultAccess::kRead ? memprobe_touch_read(byte) : memprobe_touch_write(byte);
  return touch.trap == 0;
}

uint64_t Operation(arch::FaultAccess access) {
  return access == arch::FaultAccess::kWrite ? 1 : access == arch::FaultAccess::kExecute ? 2 : 0;
}

const SortedRange* FindRange(const AccessMonitor* monitor, uintptr_t address) {
  const SortedRange* first = monitor->ranges;
  const SortedRange* last = first + monitor->range_count;
  // The first range that ends after the address.
  const SortedRange* found =
      std::upper_bound(first, last, address, [](uintptr_t a, const SortedRange& r) { return a < r.end; });
  return (found != last && address >= found->start) ? found : nullptr;
}

enum class Verdict { kNotOurs, kRetry };

Verdict OnMonitoredPage(AccessMonitor* monitor, const SortedRange* range, uintptr_t address, const siginfo_t* info,
                        const ucontext_t* uc) {
  if (monitor->state.load() != kLive) return Verdict::kRetry;  // stop() restores it before leaving the table
  const size_t page_size = GetMachine().page_size;
  const uintptr_t page = address & ~(uintptr_t)(page_size - 1);
  const size_t index = range->first_page + (page - range->start) / page_size;
  const arch::FaultAccess access = Classify(uc, info);
  const int protection = monitor->protections[index];
  if (!Allows(protection, access)) return Verdict::kNotOurs;  // a real fault, as without the monitor
  uint8_t expected = kArmed;
  if (!monitor->pages[index].compare_exchange_strong(expected, kClaimed)) {
    if (expected == kClaimed) return Verdict::kRetry;  // another thread is restoring it right now
    return SucceedsNow(address, access) ? Verdict::kRetry : Verdict::kNotOurs;  // restored, protected since?
  }
  if (mprotect(reinterpret_cast<void*>(page), page_size, protection) != 0) {
    // The kernel could not split the mapping (vm.max_map_count): the page stays inaccessible, so this access is
    // a real fault now and goes on through the chain. The page stays armed, so that stop() restores it with its
    // run (one mprotect over a run merges mappings rather than splitting them).
    monitor->pages[index].store(kArmed);
    return Verdict::kNotOurs;
  }
  monitor->pages[index].store(kRestored);
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  Slot& slot = monitor->slots[monitor->write_index.fetch_add(1)];
  slot.report.address = reinterpret_cast<uintptr_t>(info->si_addr);
  slot.report.page = page;
  slot.report.range = range->index;
  slot.report.operation = Operation(access);
  slot.report.pc = arch::ProgramCounter(uc);
  slot.report.thread_id = static_cast<uint64_t>(syscall(SYS_gettid));
  slot.report.time = static_cast<uint64_t>(now.tv_sec) * 1000000000u + static_cast<uint64_t>(now.tv_nsec);
  slot.ready.store(1, std::memory_order_release);
  monitor->notify(monitor->context);
  return Verdict::kRetry;
}

bool Buried(uintptr_t address) { return address >= g_tombstones_low.load() && address < g_tombstones_high.load(); }

bool InTombstone(uintptr_t address) {
  const uint64_t written = g_tombstones_written.load();
  const uint64_t count = written < kTombstones ? written : kTombstones;
  for (uint64_t i = 0; i < count; i++) {
    Tombstone& entry = g_tombstones[i];
    const uint64_t before = entry.sequence.load();
    if (before & 1) continue;
    const uintptr_t start = entry.start.load();
    const uintptr_t end = entry.end.load();
    if (entry.sequence.load() != before) continue;
    if (address >= start && address < end) return true;
  }
  return false;
}

bool ClaimMonitoredFault(int signo, siginfo_t* info, ucontext_t* uc) {
  if (signo != SIGSEGV || info->si_code != SEGV_ACCERR || t_probing) return false;
  const uintptr_t raw = reinterpret_cast<uintptr_t>(info->si_addr);
  const uintptr_t address = arch::Comparable(raw);
  // The bounds are read after g_live (and again after the table missed), never before: a monitor leaves the table
  // and the count only after its tombstones are in the bounds.
  if (g_live.load() == 0 && !Buried(address)) return false;
  // A signal the process queued itself with SEGV_ACCERR carries another exception's notes: never ours.
  if (!arch::IsPageFaultNote(uc, raw)) return false;
  const int saved_errno = errno;
  const uint64_t epoch = EnterEpoch();
  bool found = false;
  Verdict verdict = Verdict::kNotOurs;
  for (int i = 0; i < kMaxMonitors && !found; i++) {
    AccessMonitor* monitor = g_monitors[i].load();
    if (monitor == nullptr) continue;
    const SortedRange* range = FindRange(monitor, address);
    if (range == nullptr) continue;
    found = true;
    verdict = OnMonitoredPage(monitor, range, address, info, uc);
  }
  LeaveEpoch(epoch);
  if (!found && Buried(address) && InTombstone(address)) {
    verdict = SucceedsNow(address, Classify(uc, info)) ? Verdict::kRetry : Verdict::kNotOurs;
  }
  errno = saved_errno;
  return verdict == Verdict::kRetry;
}

const bool g_registered = RegisterFaultClaimant(ClaimMonitoredFault);

size_t AlignUp(size_t value, size_t alignment) { return (value + alignment - 1) / alignment * alignment; }

// Restores the armed pages of a stopping monitor, a run of equal protections per call.
void RestoreArmed(AccessMonitor* monitor) {
  const size_t page_size = GetMachine().page_size;
  for (size_t r = 0; r < monitor->range_count; r++) {
    const SortedRange& range = monitor->ranges[r];
    const size_t pages = (range.end - range.start) / page_size;
    size_t page = 0;
    while (page < pages) {
      const size_t index = range.first_page + page;
      if (monitor->pages[index].load() != kArmed) {
        page++;
        continue;
      }
      size_t run = page + 1;
      while (run < pages && monitor->pages[range.first_page + run].load() == kArmed &&
             monitor->protections[range.first_page + run] == monitor->protections[index]) {
        run++;
      }
      mprotect(reinterpret_cast<void*>(range.start + page * page_size), (run - page) * page_size,
               monitor->protections[index]);
      for (size_t p = page; p < run; p++) monitor->pages[range.first_page + p].store(kRestored);
      page = run;
    }
  }
}

void AddTombstone(uintptr_t start, uintptr_t end) {
  const uint64_t written = g_tombstones_written.load();
  Tombstone& entry = g_tombstones[written % kTombstones];
  const uint64_t sequence = entry.sequence.load();
  entry.sequence.store(sequence + 1);
  entry.start.store(start);
  entry.end.store(end);
  entry.sequence.store(sequence + 2);
  g_tombstones_written.store(written + 1);
  const uint64_t count = written + 1 < kTombstones ? written + 1 : kTombstones;
  uintptr_t low = UINTPTR_MAX, high = 0;
  for (uint64_t i = 0; i < count; i++) {
    low = std::min(low, g_tombstones[i].start.load());
    high = std::max(high, g_tombstones[i].end.load());
  }
  g_tombstones_low.store(low);
  g_tombstones_high.store(high);
}

bool Overlaps(const AccessMonitor* monitor, uintptr_t start, uintptr_t end) {
  for (size_t r = 0; r < monitor->range_count; r++) {
    if (monitor->ranges[r].start < end && start < monitor->ranges[r].end) return true;
  }
  return false;
}

// Stops a monitor in the table (access_monitor.h: the two waits), with g_mutex held.
void Retire(AccessMonitor* monitor) {
  monitor->state.store(kStopping);
  WaitForHandlers();  // no handler restores or reports for it from here on
  RestoreArmed(monitor);
  for (size_t r = 0; r < monitor->range_count; r++) AddTombstone(monitor->ranges[r].start, monitor->ranges[r].end);
  g_monitors[monitor->slot].store(nullptr);
  g_live.fetch_sub(1);
  WaitForHandlers();  // no handler holds the pointer any more
  monitor->state.store(kStopped);
}

}  // namespace

MonitorStartResult MonitorStart(const std::vector<MonitorRange>& ranges, void (*notify)(void*), void* context) {
  MonitorStartResult result{nullptr, MonitorError::kNone, 0, 0, nullptr};
  const size_t page_size = GetMachine().page_size;
  std::vector<MapEntry> maps;
  const SystemCallResult read = ReadMapList(0, &maps);
  if (read.error != 0) return {nullptr, MonitorError::kSystem, 0, read.error, read.syscall};

  std::vector<SortedRange> sorted;
  size_t page_count = 0;
  for (size_t i = 0; i < ranges.size(); i++) {
    sorted.push_back({ranges[i].start, ranges[i].end, 0, i});
    page_count += (ranges[i].end - ranges[i].start) / page_size;
  }
  std::sort(sorted.begin(), sorted.end(), [](const SortedRange& a, const SortedRange& b) { return a.start < b.start; });
  std::vector<uint8_t> protections;
  protections.reserve(page_count);
  for (SortedRange& range : sorted) {
    range.first_page = protections.size();
    for (uintptr_t page = range.start; page < range.end; page += page_size) {
      const ptrdiff_t entry = FindMapEntry(maps, page);
      if (entry < 0) return {nullptr, MonitorError::kUnmapped, range.index, 0, nullptr};
      protections.push_back(static_cast<uint8_t>(ProtectionFor(maps[entry])));
    }
  }

  // One block, page-granular, never the malloc heap.
  const size_t header = AlignUp(sizeof(AccessMonitor), 64);
  const size_t ranges_bytes = AlignUp(sorted.size() * sizeof(SortedRange), 64);
  const size_t pages_bytes = AlignUp(page_count, 64);
  const size_t slots_bytes = page_count * sizeof(Slot);
  const size_t block_size = AlignUp(header + ranges_bytes + 2 * pages_bytes + slots_bytes, page_size);
  void* block = mmap(nullptr, block_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (block == MAP_FAILED) return {nullptr, MonitorError::kSystem, 0, errno, "mmap"};
  char* bytes = static_cast<char*>(block);
  auto* monitor = new (bytes) AccessMonitor();
  monitor->block_size = block_size;
  monitor->range_count = sorted.size();
  monitor->page_count = page_count;
  monitor->ranges = reinterpret_cast<SortedRange*>(bytes + header);
  std::copy(sorted.begin(), sorted.end(), monitor->ranges);
  monitor->pages = reinterpret_cast<std::atomic<uint8_t>*>(bytes + header + ranges_bytes);
  for (size_t i = 0; i < page_count; i++) new (&monitor->pages[i]) std::atomic<uint8_t>(kArmed);
  monitor->protections = reinterpret_cast<uint8_t*>(bytes + header + ranges_bytes + pages_bytes);
  std::copy(protections.begin(), protections.end(), monitor->protections);
  monitor->slots = reinterpret_cast<Slot*>(bytes + header + ranges_bytes + 2 * pages_bytes);  // zeroed: not ready
  monitor->write_index.store(0);
  monitor->read_index = 0;
  monitor->notify = notify;
  monitor->context = context;
  monitor->state.store(kLive);

  std::lock_guard<std::mutex> lock(g_mutex);
  int free_slot = -1;
  for (int i = 0; i < kMaxMonitors; i++) {
    AccessMonitor* other = g_monitors[i].load();
    if (other == nullptr) {
      if (free_slot < 0) free_slot = i;
      continue;
    }
    for (const SortedRange& range : sorted) {
      if (Overlaps(other, range.start, range.end)) {
        munmap(block, block_size);
        return {nullptr, MonitorError::kOverlapsMonitor, range.index, 0, nullptr};
      }
    }
  }
  if (free_slot < 0) {
    munmap(block, block_size);
    return {nullptr, MonitorError::kTooMany, 0, 0, nullptr};
  }
  monitor->slot = free_slot;
  // In the table before the pages are armed: a fault on an armed page always finds its monitor.
  g_monitors[free_slot].store(monitor);
  g_live.fetch_add(1);
  for (size_t r = 0; r < monitor->range_count; r++) {
    const SortedRange& range = monitor->ranges[r];
    if (mprotect(reinterpret_cast<void*>(range.start), range.end - range.start, PROT_NONE) != 0) {
      const int error = errno;
      // Undo: the ranges armed so far are restored as a stop would; the others were never armed.
      for (size_t later = r; later < monitor->range_count; later++) {
        const SortedRange& unarmed = monitor->ranges[later];
        for (size_t p = 0; p < (unarmed.end - unarmed.start) / page_size; p++) {
          monitor->pages[unarmed.first_page + p].store(kRestored);
        }
      }
      Retire(monitor);
      munmap(block, block_size);
      return {nullptr, MonitorError::kSystem, 0, error, "mprotect"};
    }
  }
  result.monitor = monitor;
  return result;
}

size_t MonitorTakeReports(AccessMonitor* monitor, AccessReport* out, size_t max) {
  size_t taken = 0;
  while (taken < max && monitor->read_index < monitor->page_count &&
         monitor->slots[monitor->read_index].ready.load(std::memory_order_acquire) != 0) {
    out[taken++] = monitor->slots[monitor->read_index++].report;
  }
  return taken;
}

void MonitorStop(AccessMonitor* monitor) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (monitor->state.load() != kStopped) Retire(monitor);
}

void MonitorFree(AccessMonitor* monitor) {
  const size_t block_size = monitor->block_size;
  monitor->~AccessMonitor();
  munmap(monitor, block_size);
}

}  // namespace memprobe
