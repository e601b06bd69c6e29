// The handler memprobe installs as the disposition of every watched signal. Normally it never runs: watched
// signals are blocked on every thread and the dedicated thread dequeues them. It runs when one lands on a
// thread that does not block it (a thread created at the instant a watch started, one that blocks the mask
// helper, one whose mask an outer handler's return undid): it writes the siginfo to a pipe the dedicated
// thread reads, and blocks the held set on its own thread (uc_sigmask) so the next one goes to the dedicated
// thread.
//
// When a signal is lost: only when the handler runs while the pipe already holds ForwardCapacity() unread
// events (counted in ForwardDropped()). Since the handler blocks the set on its thread each time, that takes
// threads that unblock a watched signal on their own over and over (native code resetting its mask in a loop)
// while the dedicated thread gets no CPU to read. A blocking write is no way out: the dedicated thread may be
// waiting for a lock the interrupted thread holds.
//
// Owns: the pipe (created once, as large as the system allows, kept for the life of the process: the handler
// may run at any time).
// Must never: do anything but async-signal-safe work in the handler (one write(2) to a non-blocking pipe,
// atomics, the uc_sigmask edit); lose errno.
#pragma once

#include <signal.h>

#include <cstddef>
#include <cstdint>

#include "signals/signal_event.h"

namespace memprobe {

int ForwardInit();       // creates the pipe once; 0 or an errno. Called with the control lock held.
int ForwardReadFd();     // the pipe's read end (non-blocking), for poll
struct sigaction ForwardingAction();
bool IsForwardingAction(const struct sigaction& action);

// Reads up to `capacity` forwarded events without blocking; returns how many.
size_t ReadForwarded(SignalEvent* out, size_t capacity);
void DiscardForwarded();
uint64_t ForwardedCount();  // how many signals took this path
uint64_t ForwardDropped();  // lost because the pipe was full (see above)
size_t ForwardCapacity();   // how many events the pipe holds

}  // namespace memprobe
