// The kernel's view of a thread's signal state, read from /proc/<pid>/task/<tid>/status: its name and its
// signal sets as 64-bit masks (bit n-1 stands for signal n).
// Owns nothing. Ordinary code (opens and reads files): never call it from a signal handler.
#pragma once

#include <cstdint>
#include <vector>

namespace memprobe {

struct ThreadStatus {
  int tid;
  char name[64];
  uint64_t pending;         // SigPnd: directed at this thread
  uint64_t shared_pending;  // ShdPnd: directed at the whole process
  uint64_t blocked;         // SigBlk
  uint64_t ignored;         // SigIgn
  uint64_t caught;          // SigCgt
};

// pid 0 means this process. Return 0 or an errno (ENOENT when the thread or process is gone).
int ReadThreadStatus(int pid, int tid, ThreadStatus* out);
int ListThreads(int pid, std::vector<int>* tids);  // ascending
int ReadAllThreadStatuses(int pid, std::vector<ThreadStatus>* out);  // threads that exit meanwhile are left out

inline uint64_t SignalBit(int signo) { return uint64_t{1} << (signo - 1); }

}  // namespace memprobe
