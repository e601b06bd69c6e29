#include "probe/remote_probe.h"

#include <limits.h>
#include <sys/uio.h>

#include <algorithm>

#include "common/machine.h"
#include "memory/arch.h"
#include "probe/map_list.h"
#include "probe/probe.h"

namespace memprobe {

namespace {

constexpr size_t kBatch = IOV_MAX;

// Reads one byte at each of `count` (≤ kBatch) addresses of `pid`; readable[i] says which could be read.
// Returns 0 or the errno of a failure that is not about the addresses (ESRCH, EPERM…).
int ReadEach(pid_t pid, const uint64_t* addresses, size_t count, bool* readable) {
  uint8_t sink[kBatch];
  struct iovec local[kBatch];
  struct iovec remote[kBatch];
  for (size_t i = 0; i < count; i++) {
    local[i] = {&sink[i], 1};
    remote[i] = {reinterpret_cast<void*>(static_cast<uintptr_t>(addresses[i])), 1};
  }
  size_t done = 0;
  while (done < count) {
    // The kernel reads the elements in order and stops at the first it cannot read: a short count names it.
    const ssize_t got = process_vm_readv(pid, local + done, count - done, remote + done, count - done, 0);
    if (got < 0 && errno != EFAULT) {
      if (errno == EINTR) continue;
      return errno;
    }
    const size_t read = got < 0 ? 0 : static_cast<size_t>(got);
    std::fill(readable + done, readable + done + read, true);
    done += read;
    if (done < count) readable[done++] = false;
  }
  return 0;
}

bool Listed(const std::vector<MapEntry>& entries, uint64_t address) {
  return FindMapEntry(entries, static_cast<uintptr_t>(address)) >= 0;
}

}  // namespace

SystemCallResult ProbeAddressesRemote(pid_t pid, const uint64_t* addresses, uint8_t* codes, size_t count) {
  std::vector<MapEntry> before;
  SystemCallResult maps = ReadMapList(pid, &before);
  if (maps.error != 0) return maps;
  // Addresses its maps list are read, in batches; the rest are unmapped (or non-canonical) without a read.
  uint64_t batch[kBatch];
  size_t index[kBatch];
  bool readable[kBatch];
  bool any_failed = false;
  bool any_read = false;
  size_t i = 0;
  while (i < count) {
    size_t n = 0;
    for (; i < count && n < kBatch; i++) {
      if (arch::IsNonCanonical(addresses[i])) {
        codes[i] = kProbeNoncanonical;
      } else if (!Listed(before, addresses[i])) {
        codes[i] = kProbeUnmapped;
      } else {
        batch[n] = addresses[i];
        index[n++] = i;
      }
    }
    const int error = n == 0 ? 0 : ReadEach(pid, batch, n, readable);
    if (error != 0) {
      errno = error;
      return Failed("process_vm_readv");
    }
    any_read |= n > 0;
    for (size_t k = 0; k < n; k++) {
      codes[index[k]] = readable[k] ? kProbeReadable : kProbeProtected;
      any_failed |= !readable[k];
    }
  }
  // Answers from the maps alone must not pass a process this one may not read for one it may.
  if (!any_read) return CheckProcessReadable(pid);
  if (!any_failed) return Succeeded();
  // A read that failed: listed in the maps as they are now → protected, no longer listed → unmapped.
  std::vector<MapEntry> after;
  maps = ReadMapList(pid, &after);
  if (maps.error != 0) return maps;
  for (size_t k = 0; k < count; k++) {
    if (codes[k] == kProbeProtected && !Listed(after, addresses[k])) codes[k] = kProbeUnmapped;
  }
  return Succeeded();
}

SystemCallResult ScanReadableRemote(pid_t pid, uint64_t start, uint64_t end, std::vector<Range>* ranges) {
  std::vector<MapEntry> entries;
  const SystemCallResult maps = ReadMapList(pid, &entries);
  if (maps.error != 0) return maps;
  const uint64_t page = GetMachine().page_size;
  uint64_t pages[kBatch];
  bool readable[kBatch];
  bool any_read = false;
  for (const MapEntry& entry : entries) {
    const uint64_t from = std::max<uint64_t>(entry.start, start);
    const uint64_t to = std::min<uint64_t>(entry.end, end);
    // process_vm_readv refuses a mapping without read permission whatever the hardware would allow.
    if (from >= to || !entry.read) continue;
    for (uint64_t p = from; p < to;) {
      size_t n = 0;
      for (; p < to && n < kBatch; p += page) pages[n++] = p;
      const int error = ReadEach(pid, pages, n, readable);
      if (error != 0) {
        errno = error;
        return Failed("process_vm_readv");
      }
      any_read = true;
      for (size_t k = 0; k < n; k++) {
        if (readable[k]) AppendRange(ranges, pages[k], pages[k] + page);
      }
    }
  }
  // A window with nothing listed readable read nothing: ask, so that a process this one may not read is not
  // one with nothing readable there.
  if (!any_read) return CheckProcessReadable(pid);
  // A process that died during the scan: its ranges so far are not a scan of it.
  return CheckProcessAlive(pid);
}

}  // namespace memprobe
