#include "binding/signal_loop_reader.h"

#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace memprobe {

SignalLoopReader* SignalLoopReader::Start(uv_loop_t* loop, void (*on_readable)(void*), void* context, int* error,
                                          const char** syscall) {
  sigset_t none;
  sigemptyset(&none);
  const int fd = signalfd(-1, &none, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) {
    *error = errno;
    *syscall = "signalfd";
    return nullptr;
  }
  SignalLoopReader* self = new SignalLoopReader();
  self->fd_ = fd;
  self->on_readable_ = on_readable;
  self->context_ = context;
  int status = uv_poll_init(loop, &self->poll_, fd);
  if (status == 0) {
    self->poll_.data = self;
    status = uv_poll_start(&self->poll_, UV_READABLE, OnPoll);
    if (status != 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(&self->poll_), [](uv_handle_t* handle) { delete static_cast<SignalLoopReader*>(handle->data); });
      close(fd);
      *error = -status;
      *syscall = "uv_poll_start";
      return nullptr;
    }
  } else {
    close(fd);
    delete self;
    *error = -status;
    *syscall = "uv_poll_init";
    return nullptr;
  }
  uv_unref(reinterpret_cast<uv_handle_t*>(&self->poll_));
  return self;
}

void SignalLoopReader::SetReferenced(bool referenced) {
  uv_handle_t* handle = reinterpret_cast<uv_handle_t*>(&poll_);
  if (referenced) {
    uv_ref(handle);
  } else {
    uv_unref(handle);
  }
}

void SignalLoopReader::Close() {
  // uv_close stops the poll (and takes the fd out of the loop's epoll set) before it returns: the fd can go now.
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), [](uv_handle_t* handle) { delete static_cast<SignalLoopReader*>(handle->data); });
  close(fd_);
  fd_ = -1;
}

void SignalLoopReader::OnPoll(uv_poll_t* handle, int status, int) {
  SignalLoopReader* self = static_cast<SignalLoopReader*>(handle->data);
  if (status < 0 || self->fd_ < 0) return;  // EBADF cannot happen while the fd is ours; nothing to read then
  self->on_readable_(self->context_);
}

}  // namespace memprobe
