#include "probe/scan.h"

#include <algorithm>

#include "common/machine.h"
#include "probe/map_list.h"
#include "probe/page_table.h"
#include "probe/populated_only.h"
#include "probe/probe.h"

namespace memprobe {

namespace {

bool Readable(uint64_t page) { return ProbeAddress(page) == kProbeReadable; }

void LoadEachPage(uint64_t start, uint64_t end, std::vector<Range>* ranges) {
  const uint64_t page = GetMachine().page_size;
  for (uint64_t p = start; p < end; p += page) {
    if (Readable(p)) AppendRange(ranges, p, p + page);
  }
}

// [start, end) lies inside one mapping and every page of it holds a plain entry (a page, or none yet), so the
// mapping's protection and, for a file, the file's end decide: one load, or a binary search for that end.
void ScanPlain(const MapEntry& entry, uint64_t start, uint64_t end, std::vector<Range>* ranges) {
  const uint64_t page = GetMachine().page_size;
  if (start >= end) return;
  if (entry.kind == MapKind::kAnonymous) {
    if (Readable(start)) AppendRange(ranges, start, end);
    return;
  }
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
}

// [start, end) of an ordinary mapping, with `unusual` the runs of its pages whose entry is a swap entry or a
// marker (clipped here): those get a load each (a marker faults, a swap entry reads), guard regions the kernel names
// are cut out unread, the plain stretches between them go to ScanPlain.
void ScanOrdinary(const MapEntry& entry, uint64_t start, uint64_t end, const std::vector<PageRun>& unusual,
                  std::vector<Range>* ranges) {
  uint64_t plain = start;
  auto run = std::lower_bound(unusual.begin(), unusual.end(), start,
                              [](const PageRun& r, uint64_t address) { return r.end <= address; });
  for (; run != unusual.end() && run->start < end; ++run) {
    const uint64_t from = std::max(run->start, start), to = std::min(run->end, end);
    ScanPlain(entry, plain, from, ranges);
    if ((run->categories & kPageGuard) == 0) LoadEachPage(from, to, ranges);
    plain = to;
  }
  ScanPlain(entry, plain, end, ranges);
}

// The same where the window's walk told nothing: asks for the piece alone, and where the kernel tells nothing even
// then, every page gets its load.
void ScanOrdinaryAlone(PageTable* table, const MapEntry& entry, uint64_t start, uint64_t end,
                       std::vector<Range>* ranges) {
  std::vector<PageRun> unusual;
  if (start >= end) return;
  if (table->Find(start, end, kPageSwapped | kPageGuard, &unusual)) {
    ScanOrdinary(entry, start, end, unusual, ranges);
  } else {
    LoadEachPage(start, end, ranges);
  }
}

// [start, end) of a mapping whose unpopulated pages must not be read (populated_only.h): a load for each page the
// kernel reports populated; the others are not readable, since no load read them.
void ScanPopulated(PageTable* table, uint64_t start, uint64_t end, std::vector<Range>* ranges) {
  std::vector<PageRun> populated;
  if (!table->Find(start, end, kPagePresent | kPageSwapped, &populated)) return;
  for (const PageRun& run : populated) LoadEachPage(run.start, run.end, ranges);
}

// Whether the kernel says every page of the window's accessible mappings is populated. Then no load can reach a
// userfaultfd or an empty huge-page pool, and the mappings' VmFlags (populated_only.h) change nothing: reading
// them costs a walk of every page of the process (smaps counts them all; ~2.6 ms for a fresh Node), one
// PAGEMAP_SCAN per mapping that stops at its first unpopulated page costs microseconds.
bool EveryAccessiblePagePopulated(PageTable* table, const std::vector<MapEntry>& entries, uint64_t start, uint64_t end) {
  for (const MapEntry& entry : entries) {
    const uint64_t from = std::max<uint64_t>(entry.start, start);
    const uint64_t to = std::min<uint64_t>(entry.end, end);
    if (from >= to || !(entry.read || entry.write || entry.execute) || entry.kind == MapKind::kSpecial) continue;
    if (!table->AllPopulated(from, to)) return false;
  }
  return true;
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
  PageTable table;
  std::vector<Range> populated_only;
  if (!EveryAccessiblePagePopulated(&table, entries, start, end)) {
    const SystemCallResult flags = PopulatedOnlyRanges(start, end, &populated_only);
    if (flags.error != 0) return flags;
  }
  // One walk for the whole window finds every page whose entry is not plain.
  std::vector<PageRun> unusual;
  const bool walked = table.Scan(start, end, kPageSwapped | kPageGuard, &unusual);
  size_t next = 0;
  for (const MapEntry& entry : entries) {
    uint64_t from = std::max<uint64_t>(entry.start, start);
    const uint64_t to = std::min<uint64_t>(entry.end, end);
    // PROT_NONE is never readable; -w- and --x are on x86 (the hardware has no write-only or execute-only pages
    // without protection keys), so they get their load like the rest.
    if (from >= to || !(entry.read || entry.write || entry.execute)) continue;
    if (entry.kind == MapKind::kSpecial) {  // the kernel's own pages ([vvar]…) may each differ
      LoadEachPage(from, to, ranges);
      continue;
    }
    while (next < populated_only.size() && populated_only[next].end <= from) next++;
    for (size_t r = next; from < to; r++) {
      const bool inside = r < populated_only.size() && populated_only[r].start < to;
      const uint64_t ordinary_end = inside ? std::max(from, populated_only[r].start) : to;
      if (walked) {
        ScanOrdinary(entry, from, ordinary_end, unusual, ranges);
      } else {
        ScanOrdinaryAlone(&table, entry, from, ordinary_end, ranges);
      }
      if (!inside) break;
      from = std::min(to, populated_only[r].end);
      ScanPopulated(&table, ordinary_end, from, ranges);
    }
  }
  return Succeeded();
}

}  // namespace memprobe
