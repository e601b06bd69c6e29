// Write tracking by userfaultfd's asynchronous write protection and PAGEMAP_SCAN (Linux 6.7): the range is
// registered with a userfaultfd in write-protect mode with UFFD_FEATURE_WP_ASYNC and write-protected; the first
// write to each page takes a fault that the kernel resolves itself (it clears the page's uffd-wp bit, no message
// reaches user space), so "written" is "no longer write-protected", and PAGEMAP_SCAN finds those pages in one
// page-table walk. Reset write-protects the written pages again (PM_SCAN_WP_MATCHING), touching only them.
// Documentation/admin-guide/mm/userfaultfd.rst ("Write Protect Notifications", WP_ASYNC) and pagemap.rst.
// Memory kinds: with WP_ASYNC and write protection as its only mode, a registration takes any kind of memory
// (vma_can_userfault: anonymous, shmem, hugetlbfs, and mappings of regular files), where synchronous write
// protection takes anonymous, shmem and hugetlbfs only; special mappings and MAP_DROPPABLE memory are refused.
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/pagemap_abi.h"
#include "watch/write_tracking.h"

namespace memprobe {

namespace {

// Newer than some C library headers (uapi/linux/userfaultfd.h).
constexpr uint64_t kFeatureWpHugetlbfsShmem = 1 << 12;  // 5.19: write protection of shmem and hugetlbfs
constexpr uint64_t kFeatureWpUnpopulated = 1 << 13;     // 6.4: protect pages not yet populated too
constexpr uint64_t kFeatureWpAsync = 1 << 15;           // 6.7: the kernel resolves write faults itself
constexpr int kUserModeOnly = 1;                        // UFFD_USER_MODE_ONLY (5.11)

// WP_ASYNC is the mechanism itself, and the kernel turns WP_UNPOPULATED on with it ("WP_ASYNC relies on
// WP_UNPOPULATED", userfaultfd_api): pages never touched are protected too, so a read that maps the zero page there
// leaves it protected, not "written". It is asked for where offered all the same, and every walk leaves the zero
// page out (PAGE_IS_PFNZERO) besides. WP_HUGETLBFS_SHMEM is what shmem and hugetlbfs pages are protected with.
constexpr uint64_t kOptionalFeatures = kFeatureWpUnpopulated | kFeatureWpHugetlbfsShmem;

// A userfaultfd that the kernel lets this process have: user-mode-only faults need no privilege
// (vm.unprivileged_userfaultfd=0 refuses the rest without CAP_SYS_PTRACE), and are all an asynchronous
// write protection needs (writes by the kernel on our behalf are resolved the same way).
int OpenUserfaultfd(TrackingError* error) {
#ifdef SYS_userfaultfd
  int fd = static_cast<int>(syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | kUserModeOnly));
  if (fd < 0 && errno == EINVAL) {  // before 5.11, which has no user-mode-only descriptors
    fd = static_cast<int>(syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK));
  }
  if (fd >= 0) return fd;
  if (errno == ENOSYS) {
    SetTrackingFailure(error, TrackingFailure::kUnavailable, "userfaultfd",
                       "the kernel has no userfaultfd (CONFIG_USERFAULTFD)");
  } else if (errno == EPERM) {
    SetTrackingFailure(error, TrackingFailure::kUnavailable, "userfaultfd",
               "userfaultfd is refused to this process (vm.unprivileged_userfaultfd, a seccomp filter or an LSM)");
  } else {
    SetTrackingFailure(error, TrackingFailure::kSystemCall, "userfaultfd", "userfaultfd failed");
  }
  return -1;
#else
  errno = ENOSYS;
  SetTrackingFailure(error, TrackingFailure::kUnavailable, "userfaultfd",
                     "this build's C library headers have no userfaultfd");
  return -1;
#endif
}

// The features this kernel's userfaultfd offers, asked on a descriptor of its own (UFFDIO_API works once per
// descriptor); false with `error` set when it cannot be asked.
bool OfferedFeatures(uint64_t* offered, TrackingError* error) {
  const int fd = OpenUserfaultfd(error);
  if (fd < 0) return false;
  uffdio_api api{};
  api.api = UFFD_API;
  const bool asked = ioctl(fd, UFFDIO_API, &api) == 0;
  if (!asked) {
    SetTrackingFailure(error, TrackingFailure::kUnavailable, "ioctl(UFFDIO_API)", "userfaultfd refuses its handshake");
  }
  close(fd);
  *offered = api.features;
  return asked;
}

class PagemapScanTracking final : public WriteTracking {
 public:
  PagemapScanTracking(int uffd, int pagemap, uint64_t start, uint64_t end)
      : uffd_(uffd), pagemap_(pagemap), start_(start), end_(end) {}

  ~PagemapScanTracking() override {
    // Unregistering first (closing alone would do it too) matters where a child forked meanwhile still holds the
    // descriptor until its exec: the registration must end now, not when the last copy closes.
    uffdio_range range{start_, end_ - start_};
    ioctl(uffd_, UFFDIO_UNREGISTER, &range);  // fails harmlessly over pages unmapped meanwhile
    close(uffd_);
    close(pagemap_);
  }

  bool Written(std::vector<PageSpan>* spans, TrackingError* error) override {
    return Walk(0, spans, error);
  }

  bool Reset(TrackingError* error) override {
    return Walk(pagemap::kWriteProtectMatching | pagemap::kCheckWriteProtectAsync, nullptr, error);
  }

 private:
  // One PAGEMAP_SCAN walk for written pages (not the zero page, which a read maps: belt and braces beside
  // WP_UNPOPULATED), appending them to `spans` where given. With kWriteProtectMatching the kernel protects each
  // page it finds as it reports it, so a write that lands during the walk is either reported now or later.
  bool Walk(uint64_t flags, std::vector<PageSpan>* spans, TrackingError* error) {
    pagemap::Region regions[256];
    uint64_t from = start_;
    while (from < end_) {
      pagemap::ScanArgument argument{};
      argument.size = sizeof argument;
      argument.flags = flags;
      argument.start = from;
      argument.end = end_;
      argument.vec = reinterpret_cast<uint64_t>(regions);
      argument.vec_len = sizeof regions / sizeof regions[0];
      argument.category_inverted = pagemap::kIsZeroPage;
      argument.category_mask = pagemap::kIsWritten | pagemap::kIsZeroPage;
      argument.return_mask = pagemap::kIsWritten;
      const int found = ioctl(pagemap_, pagemap::kScan, &argument);
      if (found < 0) {
        if (errno == EINTR) continue;
        SetTrackingFailure(error, errno == EPERM ? TrackingFailure::kUnsupportedMemory : TrackingFailure::kSystemCall,
                   "ioctl(PAGEMAP_SCAN)",
                   errno == EPERM ? "part of the range is no longer registered for write protection (was it unmapped "
                                    "or remapped?)"
                                  : "PAGEMAP_SCAN failed");
        return false;
      }
      if (spans != nullptr) {
        for (int i = 0; i < found; i++) AppendSpan(spans, regions[i].start, regions[i].end);
      }
      // The walk stops early when the vector is full; walk_end says where it got to.
      if (argument.walk_end <= from || argument.walk_end >= end_) break;
      from = argument.walk_end;
    }
    return true;
  }

  int uffd_;
  int pagemap_;
  uint64_t start_;
  uint64_t end_;
};

}  // namespace

std::unique_ptr<WriteTracking> StartPagemapScanTracking(uint64_t start, uint64_t end, TrackingError* error) {
  const int pagemap = OpenPagemap(error);
  if (pagemap < 0) return nullptr;
  // Before 6.7 PAGEMAP_SCAN is unknown (ENOTTY); an empty walk asks without touching anything.
  pagemap::ScanArgument probe{};
  probe.size = sizeof probe;
  probe.start = probe.end = start;
  if (ioctl(pagemap, pagemap::kScan, &probe) < 0) {
    SetTrackingFailure(error, TrackingFailure::kUnavailable, "ioctl(PAGEMAP_SCAN)",
               errno == ENOTTY ? "the kernel has no PAGEMAP_SCAN (Linux 6.7)" : "PAGEMAP_SCAN is refused here");
    close(pagemap);
    return nullptr;
  }
  uint64_t offered = 0;
  if (!OfferedFeatures(&offered, error)) {
    close(pagemap);
    return nullptr;
  }
  if ((offered & kFeatureWpAsync) == 0) {
    error->kind = TrackingFailure::kUnavailable;
    error->reason = "userfaultfd has no asynchronous write protection here (UFFD_FEATURE_WP_ASYNC, Linux 6.7, on an "
                    "architecture with userfaultfd write protection)";
    close(pagemap);
    return nullptr;
  }
  const int uffd = OpenUserfaultfd(error);
  if (uffd < 0) {
    close(pagemap);
    return nullptr;
  }
  auto fail = [&](TrackingFailure kind, const char* syscall, std::string reason) {
    SetTrackingFailure(error, kind, syscall, std::move(reason));
    const int saved = errno;
    close(uffd);
    close(pagemap);
    errno = saved;
    return nullptr;
  };
  uffdio_api api{};
  api.api = UFFD_API;
  api.features = kFeatureWpAsync | (offered & kOptionalFeatures);
  if (ioctl(uffd, UFFDIO_API, &api) != 0) {
    return fail(TrackingFailure::kSystemCall, "ioctl(UFFDIO_API)", "userfaultfd refused the features it offered");
  }
  uffdio_register registration{};
  registration.range = uffdio_range{start, end - start};
  registration.mode = UFFDIO_REGISTER_MODE_WP;
  if (ioctl(uffd, UFFDIO_REGISTER, &registration) != 0) {
    if (errno == EINVAL) {
      return fail(TrackingFailure::kUnsupportedMemory, "ioctl(UFFDIO_REGISTER)",
                  "userfaultfd cannot write-protect this memory: with asynchronous write protection it takes "
                  "anonymous memory, shmem and file mappings, but not special mappings ([vdso], [vvar], device "
                  "memory) nor MAP_DROPPABLE memory");
    }
    if (errno == EBUSY) {
      return fail(TrackingFailure::kUnsupportedMemory, "ioctl(UFFDIO_REGISTER)",
                  "part of the range is registered with another userfaultfd already (another write tracker, an "
                  "access monitor, or other code in this process)");
    }
    return fail(TrackingFailure::kSystemCall, "ioctl(UFFDIO_REGISTER)", "UFFDIO_REGISTER failed");
  }
  uffdio_writeprotect protect{};
  protect.range = uffdio_range{start, end - start};
  protect.mode = UFFDIO_WRITEPROTECT_MODE_WP;
  if (ioctl(uffd, UFFDIO_WRITEPROTECT, &protect) != 0) {
    return fail(TrackingFailure::kSystemCall, "ioctl(UFFDIO_WRITEPROTECT)", "UFFDIO_WRITEPROTECT failed");
  }
  return std::make_unique<PagemapScanTracking>(uffd, pagemap, start, end);
}

}  // namespace memprobe
