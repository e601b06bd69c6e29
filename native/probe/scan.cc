#include "probe/scan.h"

#include <algorithm>

#include "common/machine.h"
#include "probe/guard_regions.h"
#include "probe/map_list.h"
#include "probe/probe.h"

namespace memprobe {

namespace {

bool Readable(uint64_t page) { return ProbeAddress(page) == kProbeReadable; }

// [start, end) lies inside one mapping and holds no guard page; appends what of it is readable.
void ScanPiece(const MapEntry& entry, uint64_t start, uint64_t end, std::vector<Range>* ranges) {
  const uint64_t page = GetMachine().page_size;
  switch (entry.kind) {
    case MapKind::kAnonymous:
      if (Readable(start)) AppendRange(ranges, start, end);
      return;
    case MapKind::kSpecial:
      for (uint64_t p = start; p < end; p += page) {
        if (Readable(p)) AppendRange(ranges, p, p + page);
      }
      return;
    case MapKind::kFile: {
      if (Readable(end - page)) {
        AppendRange(ranges, start, end);
        return;
      }
      if (!Readable(start)) return;
      uint64_t good = start, bad = end - page;  // the readable pages are a prefix: find where it ends
      while (bad - good > page) {
        const uint64_t middle = good + (bad - good) / page / 2 * page;
        (Readable(middle) ? good : bad) = middle;
      }
      AppendRange(ranges, start, bad);
      return;
    }
  }
}

}  // namespace

void AppendRange(std::vector<Range>* ranges, uint64_t start, uint64_t end) {
  if (start >= end) return;
  if (!ranges->empty() && ranges->back().end == start) {
    ranges->back().end = end;
  } else {
    ranges->push_back(Range{start, end});
  }
}

SystemCallResult ScanReadable(uint64_t start, uint64_t end, std::vector<Range>* ranges) {
  std::vector<MapEntry> entries;
  const SystemCallResult read = ReadMapList(0, &entries);
  if (read.error != 0) return read;
  const std::vector<Range> guards = GuardRegions(start, end);
  size_t next_guard = 0;
  for (const MapEntry& entry : entries) {
    uint64_t from = std::max<uint64_t>(entry.start, start);
    const uint64_t to = std::min<uint64_t>(entry.end, end);
    // PROT_NONE is never readable; -w- and --x are on x86 (the hardware has no write-only or execute-only pages
    // without protection keys), so they get their load like the rest.
    if (from >= to || !(entry.read || entry.write || entry.execute)) continue;
    while (next_guard < guards.size() && guards[next_guard].end <= from) next_guard++;
    for (size_t g = next_guard; from < to; g++) {
      const bool guard_here = g < guards.size() && guards[g].start < to;
      const uint64_t piece_end = guard_here ? std::max(from, guards[g].start) : to;
      if (piece_end > from) ScanPiece(entry, from, piece_end, ranges);
      if (!guard_here) break;
      from = std::min(to, guards[g].end);
    }
  }
  return Succeeded();
}

}  // namespace memprobe
