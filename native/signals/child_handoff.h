// SIGCHLD is how libuv learns that a child exited (it waits for it to reap children, for child_process, the
// synchronous calls included). While memprobe watches SIGCHLD every instance reaches memprobe's thread instead,
// so each one is handed on, from that thread, to the handler that would have run without memprobe: whatever
// is installed now if someone installed a handler over memprobe's (libuv does at a spawn), otherwise the one
// memprobe replaced. It is called as the kernel would call it, with the siginfo the kernel gave.
//
// Owns: the copy of the replaced SIGCHLD disposition that the hand-on reads (its own lock).
// Must never: be called inside a signal handler; hold a lock while the handed-on handler runs.
#pragma once

#include <signal.h>

#include "signals/signal_event.h"

namespace memprobe {

// The disposition memprobe's handler replaced (at the first watch, or when it took SIGCHLD back).
void RecordChildPrevious(const struct sigaction& previous);

// On memprobe's thread, for each SIGCHLD it dequeued or was forwarded.
void HandOnChild(const SignalEvent& event);

}  // namespace memprobe
