// The yardstick for one guarded fault: the cheapest way C recovers from a SIGSEGV, sigsetjmp(env, 0) before a
// load from a PROT_NONE page and siglongjmp out of an SA_NODEFER handler (no system call but the kernel's
// delivery). faultRoundTrips(n) runs n of them with its own handler installed for the duration, then puts back
// whatever SIGSEGV action was there (memprobe's guard). Benchmark only.
#include <node_api.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {

sigjmp_buf g_env;
char* g_page = nullptr;

void Recover(int, siginfo_t*, void*) { siglongjmp(g_env, 1); }

// The same, after the one system call memprobe's handler makes before it leaves without sigreturn: a query of
// the thread's signal mask.
void RecoverAfterMaskQuery(int, siginfo_t*, void*) {
  sigset_t now;
  syscall(SYS_rt_sigprocmask, SIG_BLOCK, nullptr, &now, 8);
  siglongjmp(g_env, 1);
}

napi_value RoundTrips(napi_env env, napi_callback_info info, void (*handler)(int, siginfo_t*, void*)) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int64_t count = 0;
  napi_get_value_int64(env, argv[0], &count);
  if (g_page == nullptr) {
    g_page = static_cast<char*>(mmap(nullptr, static_cast<size_t>(sysconf(_SC_PAGESIZE)), PROT_NONE,
                                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  }
  struct sigaction ours, saved;
  memset(&ours, 0, sizeof ours);
  ours.sa_sigaction = handler;
  ours.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&ours.sa_mask);
  sigaction(SIGSEGV, &ours, &saved);
  volatile int64_t recovered = 0;
  for (int64_t i = 0; i < count; i++) {
    if (sigsetjmp(g_env, 0) == 0) {
      (void)*static_cast<volatile char*>(g_page);
    } else {
      recovered = recovered + 1;
    }
  }
  sigaction(SIGSEGV, &saved, nullptr);
  napi_value result;
  napi_create_int64(env, recovered, &result);
  return result;
}

napi_value FaultRoundTrips(napi_env env, napi_callback_info info) { return RoundTrips(env, info, Recover); }
napi_value FaultRoundTripsWithMaskQuery(napi_env env, napi_callback_info info) {
  return RoundTrips(env, info, RecoverAfterMaskQuery);
}

napi_value Init(napi_env env, napi_value exports) {
  const struct {
    const char* name;
    napi_callback callback;
  } functions[] = {{"faultRoundTrips", FaultRoundTrips}, {"faultRoundTripsWithMaskQuery", FaultRoundTripsWithMaskQuery}};
  for (const auto& f : functions) {
    napi_value function;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.callback, nullptr, &function);
    napi_set_named_property(env, exports, f.name, function);
  }
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
