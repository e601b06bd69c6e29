#include "probe/probe.h"

#include <signal.h>

#include <vector>

#include "common/machine.h"
#include "memory/arch.h"
#include "memory/forward_copy.h"
#include "memory/guard.h"
#include "memory/stack_gap.h"
#include "probe/map_list.h"

namespace memprobe {

namespace {

ProbeCode FromTrap(uint64_t trap) {
  if (TrapSignal(trap) == SIGBUS) return kProbeProtected;  // past a file's end, or a special page ([vvar])
  if (arch::IsNonCanonicalTrap(TrapSignal(trap), TrapCode(trap))) return kProbeNoncanonical;
  switch (TrapCode(trap)) {
    case SEGV_MAPERR:
      return kProbeUnmapped;
    default:
      return kProbeProtected;  // SEGV_ACCERR, SEGV_PKUERR
  }
}

// [start, end) runs that something maps, adjacent entries merged: all a batch needs to rule addresses out.
std::vector<MapEntry> MappedRuns() {
  std::vector<MapEntry> entries;
  if (ReadMapList(0, &entries).error != 0) entries.clear();
  size_t runs = 0;
  for (const MapEntry& entry : entries) {
    if (runs > 0 && entries[runs - 1].end == entry.start) {
      entries[runs - 1].end = entry.end;
    } else {
      entries[runs++] = entry;
    }
  }
  entries.resize(runs);
  return entries;
}

}  // namespace

ProbeCode LoadVerdict(uintptr_t address) {
  GuardPrepareThread();
  const ForwardCopyResult result = memprobe_probe_byte(reinterpret_cast<const void*>(address));
  return result.trap == 0 ? kProbeReadable : FromTrap(result.trap);
}

ProbeCode ProbeAddress(uint64_t address) {
  if (arch::IsNonCanonical(address)) return kProbeNoncanonical;
  if (StackGapLimit(static_cast<uintptr_t>(address), 1) == 0) return kProbeUnmapped;
  return LoadVerdict(static_cast<uintptr_t>(address));
}

void ProbeAddresses(const uint64_t* addresses, uint8_t* codes, size_t count) {
  if (count < kSnapshotBatch) {
    for (size_t i = 0; i < count; i++) codes[i] = ProbeAddress(addresses[i]);
    return;
  }
  const std::vector<MapEntry> runs = MappedRuns();
  if (runs.empty()) {  // no map list (no /proc): every address gets its load
    for (size_t i = 0; i < count; i++) codes[i] = ProbeAddress(addresses[i]);
    return;
  }
  for (size_t i = 0; i < count; i++) {
    const uint64_t address = addresses[i];
    if (arch::IsNonCanonical(address)) {
      codes[i] = kProbeNoncanonical;
    } else if (FindMapEntry(runs, static_cast<uintptr_t>(address)) < 0) {
      codes[i] = kProbeUnmapped;  // nothing mapped there when the list was read
    } else {
      codes[i] = ProbeAddress(address);
    }
  }
}

size_t ReadablePrefix(uint64_t address, size_t length) {
  size_t offset = 0;
  while (offset < length) {
    if (ProbeAddress(address + offset) != kProbeReadable) return offset;
    offset += BytesToPageEnd(static_cast<uintptr_t>(address + offset));
  }
  return length;
}

}  // namespace memprobe
