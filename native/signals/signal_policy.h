// Which signals memprobe may take over, and which a thread may block through it, with the reason for each
// refusal: the one list the native entry points check and the TypeScript layer reports (the addon exports it).
// Owns nothing: plain functions, no system calls. Never called from a signal handler.
#pragma once

namespace memprobe {

// nullptr when `signo` may be watched; otherwise why not, as a phrase. SIGUSR1 (Node's inspector) is not
// refused here: whether to take it is the caller's choice.
const char* WatchRefusal(int signo);

// nullptr when a thread may block `signo` through memprobe; otherwise why not.
const char* BlockRefusal(int signo);

}  // namespace memprobe
