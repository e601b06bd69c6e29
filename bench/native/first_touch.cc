// The yardstick for the access monitor's first-touch report (bench/monitor.js): the same work done the plainest
// way in C, an SA_SIGINFO handler that mprotects the faulting page back to read-write and returns, so the load is
// retried. cFirstTouch(address, count, pageSize) arms the pages (PROT_NONE), installs that handler for the
// duration (then puts back whatever SIGSEGV action was there: memprobe's guard), loads one byte of each page and
// returns the nanoseconds the loads took, [on the thread's CPU clock, on the wall clock] (the handlers and the
// kernel's work for them run on the same thread, so the CPU clock counts them and not what others ran meanwhile,
// which scatters the wall clock on a shared machine). touchPages(address, count, pageSize) makes the same loads with whatever handler is installed
// (memprobe's, with a monitor over the pages). Benchmark only.
#include <node_api.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

namespace {

size_t g_page_size = 0;

void RestorePage(int, siginfo_t* info, void*) {
  const uintptr_t page = reinterpret_cast<uintptr_t>(info->si_addr) & ~(g_page_size - 1);
  mprotect(reinterpret_cast<void*>(page), g_page_size, PROT_READ | PROT_WRITE);
}

int64_t Now(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

struct Pages {
  char* address;
  int64_t count;
  size_t page_size;
};

Pages Arguments(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  uint64_t address = 0;
  bool lossless = false;
  int64_t count = 0, page_size = 0;
  napi_get_value_bigint_uint64(env, argv[0], &address, &lossless);
  napi_get_value_int64(env, argv[1], &count);
  napi_get_value_int64(env, argv[2], &page_size);
  return {reinterpret_cast<char*>(static_cast<uintptr_t>(address)), count, static_cast<size_t>(page_size)};
}

napi_value Int(napi_env env, int64_t value) {
  napi_value result;
  napi_create_int64(env, value, &result);
  return result;
}

// [CPU ns, wall ns] of one load per page.
__attribute__((noinline)) napi_value LoadEach(napi_env env, const Pages& pages) {
  const int64_t cpu = Now(CLOCK_THREAD_CPUTIME_ID);
  const int64_t wall = Now(CLOCK_MONOTONIC);
  for (int64_t i = 0; i < pages.count; i++) (void)*static_cast<volatile char*>(pages.address + i * pages.page_size);
  const int64_t wall_end = Now(CLOCK_MONOTONIC);
  const int64_t cpu_end = Now(CLOCK_THREAD_CPUTIME_ID);
  napi_value result;
  napi_create_array_with_length(env, 2, &result);
  napi_set_element(env, result, 0, Int(env, cpu_end - cpu));
  napi_set_element(env, result, 1, Int(env, wall_end - wall));
  return result;
}

napi_value TouchPages(napi_env env, napi_callback_info info) { return LoadEach(env, Arguments(env, info)); }

napi_value CFirstTouch(napi_env env, napi_callback_info info) {
  const Pages pages = Arguments(env, info);
  g_page_size = pages.page_size;
  struct sigaction ours, saved;
  memset(&ours, 0, sizeof ours);
  ours.sa_sigaction = RestorePage;
  ours.sa_flags = SA_SIGINFO;
  sigemptyset(&ours.sa_mask);
  mprotect(pages.address, pages.count * pages.page_size, PROT_NONE);
  sigaction(SIGSEGV, &ours, &saved);
  napi_value elapsed = LoadEach(env, pages);
  sigaction(SIGSEGV, &saved, nullptr);
  return elapsed;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_value function;
  napi_create_function(env, "touchPages", NAPI_AUTO_LENGTH, TouchPages, nullptr, &function);
  napi_set_named_property(env, exports, "touchPages", function);
  napi_create_function(env, "cFirstTouch", NAPI_AUTO_LENGTH, CFirstTouch, nullptr, &function);
  napi_set_named_property(env, exports, "cFirstTouch", function);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
