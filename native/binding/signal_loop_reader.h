// The event-loop end of a subscriber's own signalfd (signal_hub.h, "the event-loop path"): the signalfd and the
// uv_poll_t that watches it on one environment's libuv loop, so that a signal wakes that loop directly, once.
//
// Owns: the signalfd and the poll handle, from Start to Close. Everything runs on the environment's thread.
// Must never: be touched from another thread (libuv handles are not thread-safe; the hub changes only the fd's
// mask, with signalfd(2), which is), read the fd itself (the hub does, under its dispatch lock), or outlive its
// environment's loop (Close from the environment's cleanup hook at the latest).
#pragma once

#include <uv.h>

namespace memprobe {

class SignalLoopReader {
 public:
  // A signalfd with an empty mask, polled on `loop`; `on_readable(context)` runs on the loop's thread whenever
  // it is readable. nullptr and *error (an errno) when the fd or the poll cannot be had; *syscall names which.
  static SignalLoopReader* Start(uv_loop_t* loop, void (*on_readable)(void*), void* context, int* error, const char** syscall);
  int fd() const { return fd_; }
  // Whether the poll keeps the loop alive (uv_ref/uv_unref); unref'd at Start.
  void SetReferenced(bool referenced);
  // Stops polling and closes the fd now; the handle's memory goes once libuv has closed it.
  void Close();

 private:
  SignalLoopReader() = default;
  static void OnPoll(uv_poll_t* handle, int status, int events);
  uv_poll_t poll_;
  int fd_ = -1;
  void (*on_readable_)(void*) = nullptr;
  void* context_ = nullptr;
};

}  // namespace memprobe
