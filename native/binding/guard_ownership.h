// Keeping the guard the owner of SIGSEGV/SIGBUS on the JavaScript thread: the first synchronous guarded call of
// each event-loop turn checks that no handler displaced it since (two sigaction queries, GuardReassert); every
// other call of that turn pays one compare. A turn ends where libuv's prepare phase runs, each time the loop is
// about to wait for I/O (guard_binding.cc counts them, one unref'd prepare handle per environment). So a handler
// installed by a native call is taken back before any guarded access after it, except one made later in the same
// turn as an earlier guarded call: the window the README describes.
//
// Every synchronous entry point that runs a guarded access of this process calls CheckGuardOwnership first (after
// its arguments were decoded, before any memory is touched). Work on the threadpool calls GuardReassert itself.
#pragma once

#include "binding/binding_support.h"

namespace memprobe {

// The slow path: records the turn and takes the signals back where needed (guard_binding.cc).
void CheckGuardOwnershipThisTurn(EnvData* data);

inline void CheckGuardOwnership(EnvData* data) {
  if (__builtin_expect(data->loop_turn != data->checked_turn, 0)) CheckGuardOwnershipThisTurn(data);
}

}  // namespace memprobe
