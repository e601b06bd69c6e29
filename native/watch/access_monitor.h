// The page access monitor: pages made inaccessible (PROT_NONE) whose first access is claimed by ADDRESS from the
// guard's handler (memory/fault_claims.h), reported once into a preallocated queue, and let through by restoring
// the page's original protection and returning, so the access is retried and succeeds. Plain C++, no N-API: the
// binding (binding/watch_binding.cc) hands the queue to JavaScript and gives the `notify` hook (uv_async_send).
//
// What the handler does with a SIGSEGV/SEGV_ACCERR page fault at an address:
//   - in a live monitor's page whose original protection allows the access (read: r, write: w, execute: x;
//     unclassified: r): the first thread to claim the page (an atomic armed -> claimed) restores it, pushes the
//     report and calls notify; a thread that lost that race returns and retries (the winner is restoring it).
//     A page already restored whose access fails now (someone else protected it since, e.g. a foreign dirty-page
//     tracker) is not ours: it goes on through the chain.
//   - in a monitored page whose original protection forbids the access: a real fault, not claimed (the chain gets
//     it exactly as without a monitor; the page stays armed, so a later allowed access still reports).
//   - in a monitor being stopped: returned from (retried). stop() restores every page before the monitor leaves
//     the table, so each retry either succeeds or comes back here until it does; a real fault then meets the
//     restored page and is chained.
//   - in a range of a monitor stopped "recently" (the last kTombstones stopped ranges, a ring): the thread took
//     the fault before stop() restored the page but its handler looked only after the monitor left the table
//     (it was preempted in between). If the access succeeds now (a guarded touch, or the maps for a fetch) it is
//     retried; otherwise it is a real fault and is chained. A ring entry is overwritten only after kTombstones
//     further stops, so a handler would have to stay preempted across as many stop() calls to miss it.
//   - anything else: not claimed.
//
// Memory a handler reads is never freed under it: each monitor is one mmap'd block (never the malloc heap, which
// a user may be monitoring); a handler enters an epoch (two counters; a stop flips the epoch and waits for the
// old counter to drain) before it reads the table and leaves it before returning or chaining. stop() waits twice:
// once after marking the monitor stopping (then no handler restores or reports for it any more, so its own
// restoring cannot race one), and once after taking it out of the table (then no handler holds its pointer and
// the block can be unmapped once its reports are taken). A handler never waits for anything, so the wait is
// bounded by the handlers already running.
//
// Reports are in the order the handlers reserved their slots; each page reports at most once, so the queue has
// one slot per page and can never be full. The consumer stops at the first slot not yet written (its writer is
// between the reservation and the ready flag, and calls notify after it).
//
// Owns: the monitor table, the tombstones, each monitor's block. Must never, inside the handler: allocate, lock,
// wait, or make a system call other than mprotect, clock_gettime, gettid, rt_sigprocmask (around its own guarded
// touch), notify's and ExecutableNow's. Must never be given ranges that hold a thread's stack (the kernel could
// not push the signal frame).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace memprobe {

struct MonitorRange {
  uintptr_t start;  // page-aligned, start < end
  uintptr_t end;
};

// One report, as the handler writes it. `operation`: 0 read, 1 write, 2 execute.
struct AccessReport {
  uint64_t address;
  uint64_t page;
  uint64_t range;  // index into the ranges given to MonitorStart
  uint64_t operation;
  uint64_t pc;
  uint64_t thread_id;  // kernel tid
  uint64_t time;       // CLOCK_MONOTONIC, ns
};

enum class MonitorError : int { kNone = 0, kUnmapped, kOverlapsMonitor, kTooMany, kSystem };

struct AccessMonitor;

struct MonitorStartResult {
  AccessMonitor* monitor;  // null unless error == kNone
  MonitorError error;
  size_t range;        // kUnmapped / kOverlapsMonitor: the index of the offending range
  int error_number;    // kSystem
  const char* syscall; // kSystem
};

// Arms the pages of `ranges` (page-aligned, not overlapping each other: the caller checked) after reading their
// protections from /proc/self/maps. `notify(context)` is called from the handler after each report: it must be
// async-signal-safe. Normal code only; serialised with MonitorStop by a mutex.
MonitorStartResult MonitorStart(const std::vector<MonitorRange>& ranges, void (*notify)(void*), void* context);

// Copies up to `max` reports that are complete, in order, and consumes them. The monitor's one consumer only.
size_t MonitorTakeReports(AccessMonitor* monitor, AccessReport* out, size_t max);

// Restores every page still armed and takes the monitor out of the table; afterwards no handler calls notify or
// reads the monitor. Reports made before remain to be taken. Idempotent.
void MonitorStop(AccessMonitor* monitor);

// Unmaps a stopped monitor's block (MonitorStop first).
void MonitorFree(AccessMonitor* monitor);

}  // namespace memprobe
