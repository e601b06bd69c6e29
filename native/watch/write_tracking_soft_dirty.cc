// Write tracking by the soft-dirty bits (CONFIG_MEM_SOFT_DIRTY): writing "4" to /proc/self/clear_refs clears the
// bit of every page of the WHOLE process and write-protects the pages, so the next write to each takes a minor
// fault in the kernel that sets the bit again; /proc/self/pagemap shows it as bit 55 of the page's entry.
// Documentation/admin-guide/mm/soft-dirty.rst.
//
// Clearing is process-wide, so every soft-dirty tracker of this process (any thread, any worker) is in one list:
// before the bits are cleared, each other tracker folds the pages it has seen written into its own record, so one
// tracker's reset never loses another's writes. What it cannot protect is anyone else reading soft-dirty bits
// (CRIU's incremental dumps, another library): each start and reset clears their bits too.
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>

#include "common/machine.h"
#include "common/pagemap_abi.h"
#include "watch/write_tracking.h"

namespace memprobe {

namespace {

// Whether the kernel keeps soft-dirty bits: a new mapping is soft-dirty as a whole (VM_SOFTDIRTY), so a page just
// written reads back with bit 55 when the kernel has CONFIG_MEM_SOFT_DIRTY, and never without. Nothing is cleared.
bool KernelHasSoftDirty(int pagemap) {
  static const bool has = [pagemap] {
    const size_t page = GetMachine().page_size;
    void* mapped = mmap(nullptr, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED) return false;
    *static_cast<volatile char*>(mapped) = 1;
    uint64_t entry = 0;
    const bool read = pread(pagemap, &entry, sizeof entry,
                            static_cast<off_t>(reinterpret_cast<uintptr_t>(mapped) / page * sizeof entry)) ==
                      static_cast<ssize_t>(sizeof entry);
    munmap(mapped, page);
    return read && (entry & pagemap::kEntrySoftDirty) != 0;
  }();
  return has;
}

class SoftDirtyTracking;

// Every live soft-dirty tracker of the process, and the lock that orders clears against folds. Never destroyed:
// a tracker whose environment is torn down at exit may be finalized after static destructors have run.
std::mutex& g_lock = *new std::mutex;
std::vector<SoftDirtyTracking*>& g_trackers = *new std::vector<SoftDirtyTracking*>;

class SoftDirtyTracking final : public WriteTracking {
 public:
  SoftDirtyTracking(int pagemap, uint64_t start, uint64_t end)
      : pagemap_(pagemap), start_(start), end_(end), carried_((end - start) / GetMachine().page_size, false) {}

  ~SoftDirtyTracking() override {
    {
      std::lock_guard<std::mutex> hold(g_lock);
      const auto listed = std::find(g_trackers.begin(), g_trackers.end(), this);
      if (listed != g_trackers.end()) g_trackers.erase(listed);  // not listed when its start failed
    }
    close(pagemap_);
  }

  // Clears the process's soft-dirty bits, folding each tracker's written pages into its record first (`except`
  // starts over instead). Under g_lock. A write that lands in another tracker's range between its fold and the
  // clear is lost to it: the window is one pread and one write(2).
  static bool ClearAll(SoftDirtyTracking* except, TrackingError* error) {
    for (SoftDirtyTracking* tracker : g_trackers) {
      if (tracker != except && !tracker->Fold(error)) return false;
    }
    const int clear_refs = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    if (clear_refs < 0) {
      SetTrackingFailure(error, TrackingFailure::kSystemCall, "open", "/proc/self/clear_refs cannot be opened");
      return false;
    }
    ssize_t wrote;
    do {
      wrote = write(clear_refs, "4", 1);
    } while (wrote < 0 && errno == EINTR);
    if (wrote != 1) {
      SetTrackingFailure(error, TrackingFailure::kSystemCall, "write", "writing 4 to /proc/self/clear_refs failed");
    }
    close(clear_refs);
    if (except != nullptr) std::fill(except->carried_.begin(), except->carried_.end(), false);
    return wrote == 1;
  }

  bool Written(std::vector<PageSpan>* spans, TrackingError* error) override {
    std::lock_guard<std::mutex> hold(g_lock);
    const uint64_t page = GetMachine().page_size;
    return ForEachWritten(error, [&](uint64_t index) {
      AppendSpan(spans, start_ + index * page, start_ + (index + 1) * page);
    });
  }

  bool Reset(TrackingError* error) override {
    std::lock_guard<std::mutex> hold(g_lock);
    return ClearAll(this, error);
  }

 private:
  bool Fold(TrackingError* error) {
    return ForEachWritten(error, [&](uint64_t index) { carried_[index] = true; });
  }

  // Calls `found(index)` for each page written: carried from before a clear, or soft-dirty now. Only a page that
  // is present or swapped counts: a mapping that is new or grew is soft-dirty as a whole (VM_SOFTDIRTY), pages
  // never touched included.
  template <typename Found>
  bool ForEachWritten(TrackingError* error, Found found) {
    const uint64_t page = GetMachine().page_size;
    const uint64_t count = (end_ - start_) / page;
    uint64_t entries[4096];
    for (uint64_t index = 0; index < count;) {
      const uint64_t batch = std::min<uint64_t>(count - index, sizeof entries / sizeof entries[0]);
      const ssize_t got = pread(pagemap_, entries, batch * sizeof entries[0],
                                static_cast<off_t>((start_ / page + index) * sizeof entries[0]));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        if (got == 0) errno = EIO;
        SetTrackingFailure(error, TrackingFailure::kSystemCall, "pread", "reading /proc/self/pagemap failed");
        return false;
      }
      const uint64_t read = static_cast<uint64_t>(got) / sizeof entries[0];
      for (uint64_t i = 0; i < read; i++) {
        const uint64_t entry = entries[i];
        const bool dirty = (entry & pagemap::kEntrySoftDirty) != 0 &&
                           (entry & (pagemap::kEntryPresent | pagemap::kEntrySwapped)) != 0;
        if (dirty || carried_[index + i]) found(index + i);
      }
      index += read;
    }
    return true;
  }

  int pagemap_;
  uint64_t start_;
  uint64_t end_;
  std::vector<bool> carried_;  // per page: written before the last process-wide clear that was not this tracker's
};

}  // namespace

std::unique_ptr<WriteTracking> StartSoftDirtyTracking(uint64_t start, uint64_t end, TrackingError* error) {
  const int pagemap = OpenPagemap(error);
  if (pagemap < 0) return nullptr;
  if (!KernelHasSoftDirty(pagemap)) {
    error->kind = TrackingFailure::kUnavailable;
    error->reason =
        "the kernel keeps no soft-dirty bits (built without CONFIG_MEM_SOFT_DIRTY: a page just written does not read "
        "back with pagemap bit 55)";
    close(pagemap);
    return nullptr;
  }
  auto tracker = std::make_unique<SoftDirtyTracking>(pagemap, start, end);
  {
    std::lock_guard<std::mutex> hold(g_lock);
    if (SoftDirtyTracking::ClearAll(tracker.get(), error)) {
      g_trackers.push_back(tracker.get());
      return tracker;
    }
  }
  return nullptr;  // destroyed here, outside the lock, never listed
}

}  // namespace memprobe
