// The masking demonstration: which thread the kernel picks for a signal, depending on masks. Every thread of
// the process is made to block a free real-time signal (the demo signal) except one of three demo threads;
// then the demo signal is sent to the process (kill) and to single threads (tgkill), and the kernel's choices
// are recorded with every thread's signal state.
//
// Owns, for the length of one call: the demo threads and the demo signal's handler. Everything is restored
// before it returns (the signal's disposition, every thread's mask; a pending instance is discarded).
// Must never: pick a signal someone handles or memprobe watches (it takes the control lock for the whole run,
// so no watch starts or ends meanwhile); block in the handler (it only records which thread ran it).
#pragma once

#include <vector>

#include "signals/proc_status.h"

namespace memprobe {

struct DemoThread {
  int tid;
  bool blocks;  // blocks the demo signal
  const char* name;
};

struct MaskingDemoResult {
  int signo;
  std::vector<DemoThread> demo_threads;
  std::vector<ThreadStatus> before;  // every thread, just before the process-directed send
  int process_directed_to;           // tid that ran the handler for kill(getpid(), signo)
  int blocked_target;                // a demo thread that blocks the signal, sent a tgkill
  ThreadStatus blocked_target_after; // its state after that: the signal pending there
  int blocked_target_handled_by;     // 0: nobody ran the handler (it stayed pending)
  int open_target;                   // the demo thread that does not block it, sent a tgkill
  int open_target_handled_by;
  ThreadStatus open_target_after;    // its state once the handler ran there
};

// Returns 0 or an errno; *syscall names what failed. EBUSY: no real-time signal is free.
int RunMaskingDemo(MaskingDemoResult* result, const char** syscall);

}  // namespace memprobe
