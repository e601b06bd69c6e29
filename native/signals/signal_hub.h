// The dedicated thread that dequeues every watched signal, and the environments it hands them to.
//
// While any signal is watched, one thread ("memprobe-signal") blocks everything and waits on a signalfd over
// the held set plus the forwarding pipe (signal_forward.h); every other thread blocks the held set
// (thread_masks.h), so it is the only thread that dequeues a watched signal and real-time signals come out in
// the kernel's order. Each batch is appended to the queue of every subscriber that watches those signals, and
// the subscriber is notified once per batch.
//
// The event-loop path (one wake-up instead of two): a subscriber may bring a signalfd of its own, which its
// environment's event loop polls (the binding's uv_poll). The signals of a subscriber that has such an fd and
// shares none of its signals with another subscriber are read there instead (HubReadLoop, on the environment's
// thread: the kernel wakes the loop directly); all its signals or none, so that one reader keeps the kernel's
// order between them. Every other watched signal (several environments: fan-out; SIGCHLD: handed on to libuv)
// stays on the dedicated thread's signalfd. Each signal is in exactly one signalfd at a time, and every read appends
// to the queues under the dispatch lock, which also covers moving a signal between signalfds: the queues keep
// the kernel's order whoever reads. The dedicated thread still runs the audit and the forwarding pipe, and takes
// what is directed at itself (tgkill to its tid) out of the loop's signalfd (HubNudge, and at each audit).
//
// Owns: the per-signal watch counts across subscribers, the disposition each signal had before its first
// watch (restored at its last unwatch), the dedicated thread (started with the first watched signal, joined
// after the last). Lock order: the control lock (thread_masks.h), then the dispatch lock; the dedicated thread
// takes only the dispatch lock and never waits on a subscriber.
// Must never: have static destructors (the thread may run during exit()); call a subscriber after Remove.
//
// The folder native/signals/ may never: call N-API (the binding hands signals to JavaScript), touch the fault
// guard, or leave a signal it took over without restoring the disposition found before it.
#pragma once

#include <pthread.h>

#include <cstdint>
#include <vector>

#include "signals/signal_event.h"

namespace memprobe {

// One environment's end. Notify runs on the dedicated thread with the dispatch lock held: it must not block.
class SignalSubscriber {
 public:
  SignalSubscriber();
  virtual ~SignalSubscriber();
  // Called once per batch that added events to an empty queue; false means it can no longer be notified
  // (its environment is closing): it gets nothing more.
  virtual bool Notify() = 0;
  // Everything queued so far, in order; the next event queued notifies again.
  void TakeQueued(std::vector<SignalEvent>* out);

 private:
  friend class SignalHubAccess;
  int counts_[65] = {};    // watches per signal (control lock)
  uint64_t wanted_ = 0;    // signals with a count (dispatch lock)
  bool dead_ = false;      // Notify failed (dispatch lock)
  pthread_mutex_t queue_lock_;
  std::vector<SignalEvent> queue_;
  bool notify_pending_ = false;
  int loop_fd_ = -1;       // the environment's own signalfd, polled by its event loop (control lock)
  uint64_t loop_set_ = 0;  // the signals that fd reads now (dispatch lock)
};

// Adds one watch of each signal. On the first watch of a signal in the process: installs the forwarding
// handler (saving the disposition), makes every thread block it, starts the dedicated thread if needed.
// Returns 0 or an errno (nothing changed then); *syscall names what failed.
int HubWatch(SignalSubscriber* subscriber, const std::vector<int>& signals, const char** syscall);
// Removes one watch of each. After the last watch of a signal in the process, while every thread still blocks
// it: SIG_IGN for one call if an instance is pending on a thread of its own (discarding every pending instance),
// the old disposition back at once (unless someone installed another handler meanwhile: that one stays), the
// signalfd no longer reading it, then every thread's mask as memprobe found it. No arrival is ever discarded
// by the kernel for coming at the wrong moment (see ReleaseSignalSet).
void HubUnwatch(SignalSubscriber* subscriber, const std::vector<int>& signals);
// Every watch of the subscriber; afterwards the dedicated thread never touches it.
void HubRemove(SignalSubscriber* subscriber);
// A watched signal whose disposition someone replaced (libuv installs its handler for the first process.on
// listener and resets SIG_DFL after the last): puts the forwarding handler back, and makes the replacement
// the disposition restored after the last watch. Returns whether it took the signal back.
bool HubReclaim(int signo);
// Returns once the dedicated thread has handed on (to the subscribers' queues) every watched signal that was
// pending for the process or waiting in the forwarding pipe when it was called: what a poll with a zero timeout
// must see. Waits for one round of the thread (it never waits on the caller); returns at once when no thread runs.
void HubSync();
int HubThreadId();  // the dedicated thread's tid, 0 when it is not running
uint64_t HubTakenCount();  // how many signals the dedicated thread has read from its signalfd, for tests
uint64_t HubLoopReadCount();  // how many signals event loops have read from their own signalfds, for tests

// Gives the subscriber a signalfd of its own (SFD_NONBLOCK, any mask: the hub sets it), which the caller's event
// loop polls, calling HubReadLoop when it is readable; -1 takes it back (before the caller closes it). Signals
// move between signalfds at once, none lost, none reordered. Returns 0 or an errno (signalfd).
int HubSetLoopFd(SignalSubscriber* subscriber, int fd);
// On the subscriber's own thread, when its signalfd is readable: reads what it holds (a bounded number of
// batches; the loop calls again while more is there) and appends it to the queues of the subscribers that want
// it, notifying every one but `subscriber` (the caller takes its queue next). An instance directed at the calling
// thread itself (SI_TKILL) is discarded: that thread blocks the signal, and a close would have discarded it.
// Returns how many it read.
size_t HubReadLoop(SignalSubscriber* subscriber);
// A signal was sent to the dedicated thread's tid: it looks at what is pending on it now (a watched signal that
// an event loop reads is not in its own signalfd, so it would otherwise wait for the next audit).
void HubNudge();

}  // namespace memprobe
