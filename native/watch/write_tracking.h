// Which pages of a range were written: one interface over the kernel's ways of telling, one file per way
// (write_tracking_<mechanism>.cc), chosen by name from a table in best-first order (write_tracking.cc). Plain C++.
//
// Owns: a tracker's kernel state (a userfaultfd registration, the process's soft-dirty bits) from Start to the
// destructor, which undoes it. Adding a mechanism (the access monitor's write faults) is one more file and one
// row in the table; nothing else names a mechanism.
// Must never: run in a signal handler (trackers allocate and take a lock), touch the guard, or decide whether a
// range is mapped (lib/watch/track-writes.ts checks that first; the kernel's refusal is still reported).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace memprobe {

struct PageSpan {
  uint64_t start;
  uint64_t end;  // exclusive
};

// Why a tracker could not start or answer. kUnavailable: this kernel or process lacks the mechanism (the reason
// says which capability); kUnsupportedMemory: the mechanism cannot track this kind of memory; kSystemCall: a call
// failed for another reason (error, syscall).
enum class TrackingFailure : int32_t { kNone = 0, kUnavailable, kUnsupportedMemory, kSystemCall };

struct TrackingError {
  TrackingFailure kind = TrackingFailure::kNone;
  int error = 0;                  // errno, where a call failed
  const char* syscall = nullptr;  // the call (an ioctl is named by its request: "ioctl(UFFDIO_REGISTER)")
  std::string reason;             // a sentence for the user
};

class WriteTracking {
 public:
  virtual ~WriteTracking() = default;  // undoes everything Start did; never fails
  // Appends the pages of the range written since Start or the last Reset, as merged runs in address order.
  virtual bool Written(std::vector<PageSpan>* spans, TrackingError* error) = 0;
  // Starts over: no page counts as written until written again.
  virtual bool Reset(TrackingError* error) = 0;
};

// Starts tracking [start, end) (page-aligned, non-empty, mapped): a tracker, or nullptr and `error`.
using StartTracking = std::unique_ptr<WriteTracking> (*)(uint64_t start, uint64_t end, TrackingError* error);

struct TrackingMechanism {
  const char* name;  // as lib/ and the user name it: 'pagemap-scan', 'soft-dirty'
  StartTracking start;
};

// Every mechanism this build has, best first.
const std::vector<TrackingMechanism>& TrackingMechanisms();

// The mechanisms' own files.
std::unique_ptr<WriteTracking> StartPagemapScanTracking(uint64_t start, uint64_t end, TrackingError* error);
std::unique_ptr<WriteTracking> StartSoftDirtyTracking(uint64_t start, uint64_t end, TrackingError* error);

// For the mechanisms' own use:
// Records a failure in `error`: its kind, errno as it is now (call straight after the failed call), the call, why.
void SetTrackingFailure(TrackingError* error, TrackingFailure kind, const char* syscall, std::string reason);
// /proc/self/pagemap opened for reading, or -1 with `error` set (the mechanism is unavailable without it).
int OpenPagemap(TrackingError* error);

// Appends [start, end) to `spans`, merged with the last span where they touch.
inline void AppendSpan(std::vector<PageSpan>* spans, uint64_t start, uint64_t end) {
  if (!spans->empty() && spans->back().end == start) {
    spans->back().end = end;
  } else {
    spans->push_back(PageSpan{start, end});
  }
}

}  // namespace memprobe
