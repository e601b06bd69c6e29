// The C library differences memprobe builds across: glibc (the prebuilt binaries) and musl (Alpine, built from
// source). Each switch says why the two differ; no other file tests __GLIBC__. glibc keeps the calls it always
// had; musl gets the portable equivalent.
//
// Owns: nothing but inline switches (errno names are in errno_names.h).
// Must never: include anything of memprobe's but errno_names.h; hold code a signal handler cannot run (the TLS
// attribute and the signal-bit accessors are used inside handlers).
#pragma once

#include <signal.h>
#include <string.h>
#include <ucontext.h>

#include <cstdint>

#include "common/errno_names.h"

// Thread-local variables that a signal handler reads or writes are declared with this attribute.
// glibc: initial-exec. glibc allocates a dlopen'd object's dynamic TLS lazily, at a thread's first access
// (__tls_get_addr may call malloc), which a handler must never do; initial-exec TLS comes from the static
// surplus glibc keeps for objects loaded later, so an access is a fixed offset from the thread pointer.
// musl: the default (dynamic) model. musl refuses to load an object whose initial-exec TLS it would have to
// place after start-up ("initial-exec TLS resolves to dynamic definition", ldso/dynlink.c), and needs no such
// model: since musl 1.1.22 (commit 9d44b646, "install dynamic tls synchronously at dlopen, streamline access")
// dlopen installs the object's TLS in every existing thread (install_new_tls, with application signals
// blocked), pthread_create copies all of it into the new thread's block, and __tls_get_addr and the TLSDESC
// resolver are one lookup in the thread's DTV (src/thread/__tls_get_addr.c). Nothing is allocated at an
// access, so a dynamic access is async-signal-safe there.
#if defined(__GLIBC__)
#define MEMPROBE_SIGNAL_SAFE_TLS __attribute__((tls_model("initial-exec")))
#else
#define MEMPROBE_SIGNAL_SAFE_TLS
#endif

namespace memprobe {

// The errno's symbolic name ("ENOENT"), or nullptr when the C library knows none. glibc 2.32+ names its own
// (strerrorname_np); musl has no such call, so the table in errno_names.h, built from <errno.h>'s macros,
// serves there (scripts/test-musl.sh checks it against strerrorname_np for every errno glibc names).
inline const char* ErrnoName(int error) {
#if defined(__GLIBC__)
  return strerrorname_np(error);
#else
  return ErrnoNameFromTable(error);
#endif
}

// The errno's description ("No such file or directory"), or nullptr when unknown. glibc: strerrordesc_np (not
// translated, never a shared buffer). musl: strerror, which returns a constant string from its table (unknown
// values give "No error information").
inline const char* ErrnoDescription(int error) {
#if defined(__GLIBC__)
  return strerrordesc_np(error);
#else
  return strerror(error);
#endif
}

// The kernel's part of a sigset_t: its first 64 bits, signal n at bit n-1. Both C libraries keep them as the
// first 8 bytes of sigset_t (glibc's __val[0], musl's __bits[0]: an unsigned long on every 64-bit target), so
// the accessors copy those bytes and never touch the rest: a handler's uc_sigmask is only those 8 bytes in the
// kernel's frame (the siginfo follows them). sigaddset cannot stand in for the writer: glibc refuses signals 32
// and 33 and musl 32 to 34 (their own), yet a mask the kernel holds may carry them. Async-signal-safe.
static_assert(sizeof(sigset_t) >= sizeof(uint64_t) && sizeof(unsigned long) == sizeof(uint64_t),
              "64-bit targets only: the kernel's signal bits are the first word of sigset_t");
inline uint64_t KernelSignalBits(const sigset_t* set) {
  uint64_t bits;
  __builtin_memcpy(&bits, set, sizeof bits);
  return bits;
}
inline void SetKernelSignalBits(sigset_t* set, uint64_t bits) { __builtin_memcpy(set, &bits, sizeof bits); }

#if defined(__x86_64__)
// The FXSAVE layout a signal frame's uc_mcontext.fpregs points to: glibc names it _libc_fpstate, musl _fpstate
// (same layout: cwd at 0, mxcsr at 24).
#if defined(__GLIBC__)
using FpuState = struct _libc_fpstate;
#else
using FpuState = struct _fpstate;
#endif
#endif

// A context for a SA_SIGINFO handler that memprobe calls itself, outside any signal (the SIGCHLD hand-on):
// there is no interrupted code, so what a handler can meaningfully read is the signal mask in force, which is
// what the context carries. glibc: getcontext, as always. musl has no getcontext (it declares one it does not
// define): the context is zeroed, uc_sigmask is this thread's mask, and on x86-64 fpregs points at the
// context's own (zeroed) FPU area, so a handler that follows the pointer, as it may in a kernel frame, reads
// memory instead of address 0.
inline void FillHandlerContext(ucontext_t* context) {
#if defined(__GLIBC__)
  getcontext(context);
#else
  memset(context, 0, sizeof *context);
  pthread_sigmask(SIG_SETMASK, nullptr, &context->uc_sigmask);
#if defined(__x86_64__)
  context->uc_mcontext.fpregs = reinterpret_cast<fpregset_t>(&context->__fpregs_mem);
#endif
#endif
}

}  // namespace memprobe
