// Runs native/common/libc.h's switches on the C library this program is built for: glibc with the host's g++,
// musl with zig (scripts/test-musl.sh does both). Checks that the kernel-bit accessors agree with sigismember and,
// given "--kernel", with the mask the kernel reports in /proc/thread-self/status (an emulator answers that file
// with its own masks, so the script passes it only to a native run); that a handler context carries the
// thread's mask (and, on x86-64, an FPU pointer into itself); and the errno names: the table against glibc's
// strerrorname_np for every value where glibc is the library, the names musl gets everywhere else.
// Prints one line per failure and a summary; exits 1 when anything failed.
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/libc.h"

namespace {

int g_failures = 0;

void Check(bool ok, const char* what, long detail = 0) {
  if (ok) return;
  fprintf(stderr, "FAIL: %s (%ld)\n", what, detail);
  ++g_failures;
}

bool SameName(const char* a, const char* b) { return a == b || (a != nullptr && b != nullptr && strcmp(a, b) == 0); }

void CheckSignalBits() {
  for (int signal = 1; signal <= 64; ++signal) {
    sigset_t set;
    sigemptyset(&set);
    memprobe::SetKernelSignalBits(&set, uint64_t{1} << (signal - 1));
    for (int other = 1; other <= 64; ++other) {
      Check(sigismember(&set, other) == (other == signal ? 1 : 0), "SetKernelSignalBits sets one bit", other);
    }
    Check(memprobe::KernelSignalBits(&set) == uint64_t{1} << (signal - 1), "KernelSignalBits reads it back", signal);
  }
}

// SigBlk of this thread, as the kernel sees it.
uint64_t KernelBlocked() {
  FILE* status = fopen("/proc/thread-self/status", "r");
  if (status == nullptr) return ~uint64_t{0};
  char line[256];
  uint64_t blocked = ~uint64_t{0};
  while (fgets(line, sizeof line, status) != nullptr) {
    if (strncmp(line, "SigBlk:", 7) == 0) blocked = strtoull(line + 7, nullptr, 16);
  }
  fclose(status);
  return blocked;
}

void CheckMaskRoundTrip(bool compare_with_kernel) {
  // Signals neither C library keeps for itself (glibc 32-33, musl 32-34) and qemu-user can block (it keeps 63
  // and 64 for itself); every bit up to 64 is checked against sigismember above.
  const uint64_t wanted = uint64_t{1} << (SIGUSR1 - 1) | uint64_t{1} << (SIGWINCH - 1) | uint64_t{1} << (40 - 1) |
                          uint64_t{1} << (62 - 1);
  sigset_t block;
  sigemptyset(&block);
  memprobe::SetKernelSignalBits(&block, wanted);
  sigset_t before;
  Check(pthread_sigmask(SIG_BLOCK, &block, &before) == 0, "pthread_sigmask blocks");
  sigset_t now;
  pthread_sigmask(SIG_BLOCK, nullptr, &now);
  const uint64_t bits = memprobe::KernelSignalBits(&now);
  Check((bits & wanted) == wanted, "the blocked bits read back", static_cast<long>(bits));
  if (compare_with_kernel) Check(KernelBlocked() == bits, "the bits are the kernel's SigBlk", static_cast<long>(bits));

  ucontext_t context;
  memprobe::FillHandlerContext(&context);
  Check(memprobe::KernelSignalBits(&context.uc_sigmask) == bits, "a handler context carries the thread's mask");
#if defined(__x86_64__)
  Check(static_cast<void*>(context.uc_mcontext.fpregs) == static_cast<void*>(&context.__fpregs_mem),
        "a handler context's fpregs points into it");
#endif
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
}

void CheckErrnoNames() {
#if defined(__GLIBC__)
  int named = 0;
  for (int error = 0; error < 4096; ++error) {
    const char* glibc = strerrorname_np(error);
    if (error == 0) continue;  // glibc names 0 "0"; memprobe never asks
    named += glibc != nullptr;
    Check(SameName(memprobe::ErrnoNameFromTable(error), glibc), "the table names errno as glibc does", error);
  }
  printf("errno table: %d names, as glibc's strerrorname_np gives them\n", named);
#else
  Check(SameName(memprobe::ErrnoName(EPERM), "EPERM"), "EPERM");
  Check(SameName(memprobe::ErrnoName(ESRCH), "ESRCH"), "ESRCH");
  Check(SameName(memprobe::ErrnoName(EAGAIN), "EAGAIN"), "EAGAIN (EWOULDBLOCK is the same value)");
  Check(SameName(memprobe::ErrnoName(EOPNOTSUPP), "EOPNOTSUPP"), "EOPNOTSUPP (ENOTSUP is the same value)");
  Check(SameName(memprobe::ErrnoName(EHWPOISON), "EHWPOISON"), "EHWPOISON");
  Check(memprobe::ErrnoName(4095) == nullptr, "an unknown errno has no name");
#endif
  Check(SameName(memprobe::ErrnoDescription(ENOENT), strerror(ENOENT)), "ENOENT's description");
}

}  // namespace

int main(int argc, char** argv) {
  const bool compare_with_kernel = argc > 1 && strcmp(argv[1], "--kernel") == 0;
  CheckSignalBits();
  CheckMaskRoundTrip(compare_with_kernel);
  CheckErrnoNames();
#if defined(__GLIBC__)
  const char* library = "glibc";
#else
  const char* library = "musl";
#endif
#if defined(__x86_64__)
  const char* machine = "x86-64";
#elif defined(__aarch64__)
  const char* machine = "aarch64";
#else
  const char* machine = "this machine";
#endif
  printf("libc.h on %s, %s: %s\n", library, machine, g_failures == 0 ? "every check passed" : "FAILED");
  return g_failures == 0 ? 0 : 1;
}
