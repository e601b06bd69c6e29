// The handler memprobe installs as the disposition of every watched signal. Normally it never runs: watched
// signals are blocked on every thread and the dedicated thread dequeues them. It runs when one lands on a
// thread that does not block it (a thread created at the instant a watch started, or one that blocks the mask
// helper): it writes the siginfo to a pipe the dedicated thread reads, and blocks the held set on its own
// thread (uc_sigmask) so the next one goes to the dedicated thread.
//
// Owns: the pipe (created once, kept for the life of the process: the handler may run at any time).
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
uint64_t ForwardDropped();  // lost because the pipe was full (thousands forwarded before the thread read any)

}  // namespace memprobe
