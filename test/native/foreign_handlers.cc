// Test only: the foreign SIGSEGV handlers memprobe must live with, installed the way other libraries install
// them (a plain sigaction, before or after memprobe loads), and the accesses that fault under them. Tests run
// each scenario in a child process with and without memprobe and compare how both end.
//
// The handlers write short markers with write(2) so a test can count how often each ran.
#include <node_api.h>

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

extern "C" void foreign_fixing_handler(int signo, siginfo_t* info, void* context);

namespace {

// --- state shared with the handlers ---

char* g_page = nullptr;  // the page a fixing handler repairs
size_t g_page_size = 0;
std::atomic<int> g_fixed{0};
std::atomic<int> g_seen_segv_blocked{-1};  // the mask the fixing handler ran with
std::atomic<int> g_seen_usr1_blocked{-1};
struct sigaction g_old;                    // what the last install replaced (chaining handlers call it)
volatile uintptr_t g_timer_address = 0;    // what the timer handler reads
std::atomic<bool> g_quiet{false};          // the fixing and chaining handlers pass faults on without saying so
char* g_code = nullptr;                    // a page starting with a `ret`: JIT code the exec-fixing handler repairs
sigjmp_buf g_jump;                         // where the safe-read handler jumps to
volatile sig_atomic_t g_jump_armed = 0;    // a safe read is in progress
volatile sig_atomic_t g_jump_savemask = 0; // the safe reads use sigsetjmp(env, 1)

void Say(const char* text) {
  ssize_t ignored = write(STDERR_FILENO, text, strlen(text));
  (void)ignored;
}

// What a well-behaved library does with a fault that is not its own: hand it to the action it replaced.
void CallOld(int signo, siginfo_t* info, void* context) {
  if (g_old.sa_handler == SIG_IGN || g_old.sa_handler == SIG_DFL) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(signo, &dfl, nullptr);  // the access repeats and the default action ends the process
    return;
  }
  reinterpret_cast<void (*)(int, siginfo_t*, void*)>(g_old.sa_sigaction)(signo, info, context);
}

bool OnWatchedPage(const siginfo_t* info) {
  const char* address = static_cast<const char*>(info->si_addr);
  return g_page != nullptr && address >= g_page && address < g_page + g_page_size;
}

// Chains everything to what it replaced, after saying so.
void ChainingHandler(int signo, siginfo_t* info, void* context) {
  if (!g_quiet) Say("chaining handler: passing on\n");
  CallOld(signo, info, context);
}

// A crash reporter in the style of segfault-handler: reports and returns (installed with SA_RESETHAND, so the
// repeated access meets the default action).
void Reporter(int, siginfo_t*, void*) { Say("reporter: report\n"); }

// A crash reporter that itself crashes.
void FaultingReporter(int, siginfo_t*, void*) {
  Say("faulting reporter: report\n");
  *reinterpret_cast<volatile int*>(static_cast<uintptr_t>(16)) = 1;
}

// The sigsetjmp/siglongjmp safe-read idiom: a fault during a safe read leaves the handler by siglongjmp and
// never returns; anything else is passed on.
void LongjmpHandler(int signo, siginfo_t* info, void* context) {
  if (g_jump_armed) {
    g_jump_armed = 0;
    siglongjmp(g_jump, 1);
  }
  CallOld(signo, info, context);
}

// A JIT or an emulator: code it re-protects to catch its execution is made executable again, and the
// instruction fetch is retried.
void ExecFixingHandler(int signo, siginfo_t* info, void* context) {
  const char* address = static_cast<const char*>(info->si_addr);
  if (address >= g_code && address < g_code + g_page_size) {
    mprotect(g_code, g_page_size, PROT_READ | PROT_EXEC);
    g_fixed++;
    return;
  }
  if (!g_quiet) Say("exec-fixing handler: not mine, passing on\n");
  CallOld(signo, info, context);
}

void TimerHandler(int, siginfo_t*, void*) {
  Say("timer handler: faulting\n");
  (void)*reinterpret_cast<volatile const char*>(g_timer_address);
}

void RecordAltStack(int, siginfo_t*, void*) {}

// --- N-API plumbing ---

bool BoolProperty(napi_env env, napi_value object, const char* name) {
  napi_valuetype type;
  if (object == nullptr || napi_typeof(env, object, &type) != napi_ok || type != napi_object) return false;
  bool has = false;
  napi_has_named_property(env, object, name, &has);
  if (!has) return false;
  napi_value value;
  bool result = false;
  napi_get_named_property(env, object, name, &value);
  napi_get_value_bool(env, value, &result);
  return result;
}

napi_value Arg(napi_env env, napi_callback_info info, size_t index) {
  size_t argc = 4;
  napi_value argv[4] = {nullptr, nullptr, nullptr, nullptr};
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  return index < argc ? argv[index] : nullptr;
}

uint64_t BigIntArg(napi_env env, napi_callback_info info, size_t index) {
  uint64_t value = 0;
  bool lossless;
  napi_get_value_bigint_uint64(env, Arg(env, info, index), &value, &lossless);
  return value;
}

napi_value Int(napi_env env, int64_t value) {
  napi_value result;
  napi_create_int64(env, value, &result);
  return result;
}

napi_value Undefined(napi_env env) {
  napi_value result;
  napi_get_undefined(env, &result);
  return result;
}

void Install(void (*handler)(int, siginfo_t*, void*), int flags, bool usr1_in_mask) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = handler;
  action.sa_flags = SA_SIGINFO | flags;
  sigemptyset(&action.sa_mask);
  if (usr1_in_mask) sigaddset(&action.sa_mask, SIGUSR1);
  sigaction(SIGSEGV, &action, &g_old);
}

// installFixing({ nodefer, resethand, usr1InMask, quiet })
napi_value InstallFixing(napi_env env, napi_callback_info info) {
  napi_value options = Arg(env, info, 0);
  const int flags = (BoolProperty(env, options, "nodefer") ? SA_NODEFER : 0) |
                    (BoolProperty(env, options, "resethand") ? SA_RESETHAND : 0);
  g_quiet = BoolProperty(env, options, "quiet");
  Install(foreign_fixing_handler, flags, BoolProperty(env, options, "usr1InMask"));
  return Undefined(env);
}

// installChaining({ quiet })
napi_value InstallChaining(napi_env env, napi_callback_info info) {
  g_quiet = BoolProperty(env, Arg(env, info, 0), "quiet");
  Install(ChainingHandler, 0, false);
  return Undefined(env);
}

napi_value InstallReporter(napi_env env, napi_callback_info) {
  Install(Reporter, SA_RESETHAND, false);
  return Undefined(env);
}

napi_value InstallFaultingReporter(napi_env env, napi_callback_info) {
  Install(FaultingReporter, 0, false);
  return Undefined(env);
}

// installLongjmp({ nodefer }): the safe-read handler; with nodefer the reads use sigsetjmp(env, 0) (the signal
// is not blocked in the handler, so nothing needs restoring), else sigsetjmp(env, 1).
napi_value InstallLongjmp(napi_env env, napi_callback_info info) {
  const bool nodefer = BoolProperty(env, Arg(env, info, 0), "nodefer");
  g_jump_savemask = nodefer ? 0 : 1;
  Install(LongjmpHandler, nodefer ? SA_NODEFER : 0, false);
  return Undefined(env);
}

// installExecFixing({ quiet })
napi_value InstallExecFixing(napi_env env, napi_callback_info info) {
  g_quiet = BoolProperty(env, Arg(env, info, 0), "quiet");
  Install(ExecFixingHandler, 0, false);
  return Undefined(env);
}

// What Go's runtime leaves behind: SIG_IGN with SA_SIGINFO set. installIgnoreWithSiginfo(signo = SIGSEGV)
napi_value InstallIgnoreWithSiginfo(napi_env env, napi_callback_info info) {
  int32_t signo = SIGSEGV;
  napi_value requested = Arg(env, info, 0);
  if (requested != nullptr) napi_get_value_int32(env, requested, &signo);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = SIG_IGN;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  sigaction(signo, &action, signo == SIGSEGV ? &g_old : nullptr);
  return Undefined(env);
}

// One safe read of `address` (the same load instruction every time); 1 if it faulted.
__attribute__((noinline)) int SafeLoad(uintptr_t address) {
  const int jumped = g_jump_savemask ? sigsetjmp(g_jump, 1) : sigsetjmp(g_jump, 0);
  if (jumped != 0) return 1;
  g_jump_armed = 1;
  (void)*reinterpret_cast<volatile const uint8_t*>(address);
  g_jump_armed = 0;
  return 0;
}

// A safe read made `depth` frames of 1 KiB deeper on the stack than the caller.
__attribute__((noinline)) int SafeLoadAtDepth(uintptr_t address, int depth) {
  volatile char frame[1024];
  frame[0] = 0;
  if (depth == 0) return SafeLoad(address);
  return SafeLoadAtDepth(address, depth - 1) + frame[0];  // not a tail call: the frame stays
}

// safeLoadsAtDepths(address, depths): one safe read per depth, in order; how many faulted.
napi_value SafeLoadsAtDepths(napi_env env, napi_callback_info info) {
  const uintptr_t address = BigIntArg(env, info, 0);
  napi_value depths = Arg(env, info, 1);
  uint32_t count = 0;
  napi_get_array_length(env, depths, &count);
  int64_t faulted = 0;
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    int32_t depth = 0;
    napi_get_element(env, depths, i, &element);
    napi_get_value_int32(env, element, &depth);
    faulted += SafeLoadAtDepth(address, depth);
  }
  return Int(env, faulted);
}

// protectAndExecute(times): each round takes execute permission from the code page and calls it; returns the
// fixes so far.
napi_value ProtectAndExecute(napi_env env, napi_callback_info info) {
  int64_t times = 1;
  napi_get_value_int64(env, Arg(env, info, 0), &times);
  for (int64_t i = 0; i < times; i++) {
    mprotect(g_code, g_page_size, PROT_READ);
    reinterpret_cast<void (*)()>(g_code)();
  }
  return Int(env, g_fixed.load());
}

// sendToSelf(signo, code, address): the signal queued to the calling thread with a siginfo of that si_code and
// si_addr (a process may forge a positive si_code only for itself); 0 or errno.
napi_value SendToSelf(napi_env env, napi_callback_info info) {
  int32_t signo = 0, code = 0;
  napi_get_value_int32(env, Arg(env, info, 0), &signo);
  napi_get_value_int32(env, Arg(env, info, 1), &code);
  siginfo_t forged;
  memset(&forged, 0, sizeof forged);
  forged.si_signo = signo;
  forged.si_code = code;
  forged.si_addr = reinterpret_cast<void*>(BigIntArg(env, info, 2));
  const long sent = syscall(SYS_rt_tgsigqueueinfo, getpid(), syscall(SYS_gettid), signo, &forged);
  return Int(env, sent == 0 ? 0 : errno);
}

napi_value Protect(napi_env env, napi_callback_info) {
  mprotect(g_page, g_page_size, PROT_NONE);
  return Undefined(env);
}

// Always the same store instruction at the same address.
__attribute__((noinline)) void StoreToPage(int value) { *reinterpret_cast<volatile int*>(g_page) = value; }

// protectAndStore(times): each round makes the page PROT_NONE and stores to it; returns the fixes so far.
napi_value ProtectAndStore(napi_env env, napi_callback_info info) {
  int64_t times = 1;
  napi_get_value_int64(env, Arg(env, info, 0), &times);
  for (int64_t i = 0; i < times; i++) {
    mprotect(g_page, g_page_size, PROT_NONE);
    StoreToPage(static_cast<int>(i));
  }
  return Int(env, g_fixed.load());
}

napi_value Fixed(napi_env env, napi_callback_info) { return Int(env, g_fixed.load()); }

// The mask the fixing handler last ran with: { segv, usr1 } (true when blocked).
napi_value SeenMask(napi_env env, napi_callback_info) {
  napi_value result, segv, usr1;
  napi_create_object(env, &result);
  napi_get_boolean(env, g_seen_segv_blocked.load() == 1, &segv);
  napi_get_boolean(env, g_seen_usr1_blocked.load() == 1, &usr1);
  napi_set_named_property(env, result, "segv", segv);
  napi_set_named_property(env, result, "usr1", usr1);
  return result;
}

// A plain load (a real crash on a bad address).
napi_value Load(napi_env env, napi_callback_info info) {
  return Int(env, *reinterpret_cast<volatile const uint8_t*>(BigIntArg(env, info, 0)));
}

// An alternate stack with SS_AUTODISARM on the calling thread.
napi_value UseAutoDisarmAltStack(napi_env env, napi_callback_info) {
  stack_t stack;
  stack.ss_size = 256 * 1024;
  stack.ss_sp = malloc(stack.ss_size);
  stack.ss_flags = static_cast<int>(1U << 31);  // SS_AUTODISARM
  return Int(env, sigaltstack(&stack, nullptr) == 0 ? 0 : errno);
}

// The calling thread's alternate stack: its size, 0 when disabled.
napi_value AltStackSize(napi_env env, napi_callback_info) {
  stack_t stack;
  sigaltstack(nullptr, &stack);
  return Int(env, (stack.ss_flags & SS_DISABLE) ? 0 : static_cast<int64_t>(stack.ss_size));
}

// Runs one SIGUSR2 handler on the alternate stack (SA_ONSTACK) and returns.
napi_value RaiseOnAltStack(napi_env env, napi_callback_info) {
  struct sigaction action, old;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = RecordAltStack;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  sigaction(SIGUSR2, &action, &old);
  raise(SIGUSR2);
  sigaction(SIGUSR2, &old, nullptr);
  return Undefined(env);
}

// startFaultingTimer(address, microseconds): a SIGALRM handler on this thread that reads `address`, every interval.
napi_value StartFaultingTimer(napi_env env, napi_callback_info info) {
  g_timer_address = BigIntArg(env, info, 0);
  int64_t microseconds = 1000;
  napi_get_value_int64(env, Arg(env, info, 1), &microseconds);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = TimerHandler;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  sigaction(SIGALRM, &action, nullptr);
  struct sigevent event;
  memset(&event, 0, sizeof event);
  event.sigev_notify = SIGEV_THREAD_ID;
  event.sigev_signo = SIGALRM;
  event._sigev_un._tid = static_cast<pid_t>(syscall(SYS_gettid));
  timer_t timer;
  if (timer_create(CLOCK_MONOTONIC, &event, &timer) != 0) return Int(env, errno);
  struct itimerspec spec;
  spec.it_value.tv_sec = microseconds / 1000000;
  spec.it_value.tv_nsec = (microseconds % 1000000) * 1000;
  spec.it_interval = spec.it_value;
  return Int(env, timer_settime(timer, 0, &spec, nullptr) == 0 ? 0 : errno);
}

// mapEndingInNone(pages, none): `pages` read-write pages (touched) followed by `none` PROT_NONE ones; returns the
// first page's address.
napi_value MapEndingInNone(napi_env env, napi_callback_info info) {
  int64_t pages = 1, none = 1;
  napi_get_value_int64(env, Arg(env, info, 0), &pages);
  napi_get_value_int64(env, Arg(env, info, 1), &none);
  const size_t size = static_cast<size_t>(pages + none) * g_page_size;
  void* mapping = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(mapping, 1, static_cast<size_t>(pages) * g_page_size);
  mprotect(static_cast<char*>(mapping) + pages * g_page_size, static_cast<size_t>(none) * g_page_size, PROT_NONE);
  napi_value result;
  napi_create_bigint_uint64(env, reinterpret_cast<uintptr_t>(mapping), &result);
  return result;
}

// A thread that keeps replacing the SIGSEGV handler with one of two fixing actions (different masks), as a
// library re-registering in a loop would, `rounds` times.
void* Displace(void* argument) {
  const intptr_t rounds = reinterpret_cast<intptr_t>(argument);
  for (intptr_t i = 0; i < rounds; i++) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = foreign_fixing_handler;
    action.sa_flags = SA_SIGINFO | ((i & 1) ? SA_NODEFER : 0);
    sigemptyset(&action.sa_mask);
    if (i & 2) sigaddset(&action.sa_mask, SIGUSR1);
    sigaction(SIGSEGV, &action, nullptr);
    struct timespec pause = {0, 20000};
    nanosleep(&pause, nullptr);
  }
  return nullptr;
}

pthread_t g_displacer;

napi_value StartDisplacer(napi_env env, napi_callback_info info) {
  int64_t rounds = 0;
  napi_get_value_int64(env, Arg(env, info, 0), &rounds);
  return Int(env, pthread_create(&g_displacer, nullptr, Displace, reinterpret_cast<void*>(rounds)));
}

napi_value JoinDisplacer(napi_env env, napi_callback_info) {
  pthread_join(g_displacer, nullptr);
  return Undefined(env);
}

napi_value Init(napi_env env, napi_value exports) {
  if (g_page == nullptr) {
    g_page_size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    g_page = static_cast<char*>(mmap(nullptr, g_page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    g_code = static_cast<char*>(mmap(nullptr, g_page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
#if defined(__x86_64__)
    g_code[0] = static_cast<char>(0xC3);  // ret
#elif defined(__aarch64__)
    const uint32_t ret = 0xd65f03c0;  // ret (x30)
    memcpy(g_code, &ret, sizeof ret);
    __builtin___clear_cache(g_code, g_code + sizeof ret);  // the instruction cache does not see data writes
#else
#error "a ret instruction for this architecture"
#endif
    mprotect(g_code, g_page_size, PROT_READ | PROT_EXEC);
    // An addon that installs its handler while it loads.
    const char* at_load = getenv("FOREIGN_HANDLER_AT_LOAD");
    if (at_load != nullptr && strcmp(at_load, "reporter") == 0) Install(Reporter, SA_RESETHAND, false);
  }
  const struct {
    const char* name;
    napi_callback callback;
  } functions[] = {
      {"installFixing", InstallFixing},
      {"installChaining", InstallChaining},
      {"installReporter", InstallReporter},
      {"installFaultingReporter", InstallFaultingReporter},
      {"installIgnoreWithSiginfo", InstallIgnoreWithSiginfo},
      {"installLongjmp", InstallLongjmp},
      {"installExecFixing", InstallExecFixing},
      {"safeLoadsAtDepths", SafeLoadsAtDepths},
      {"protectAndExecute", ProtectAndExecute},
      {"sendToSelf", SendToSelf},
      {"protect", Protect},
      {"protectAndStore", ProtectAndStore},
      {"fixed", Fixed},
      {"seenMask", SeenMask},
      {"load", Load},
      {"useAutoDisarmAltStack", UseAutoDisarmAltStack},
      {"altStackSize", AltStackSize},
      {"raiseOnAltStack", RaiseOnAltStack},
      {"startFaultingTimer", StartFaultingTimer},
      {"mapEndingInNone", MapEndingInNone},
      {"startDisplacer", StartDisplacer},
      {"joinDisplacer", JoinDisplacer},
  };
  for (const auto& f : functions) {
    napi_value function;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.callback, nullptr, &function);
    napi_set_named_property(env, exports, f.name, function);
  }
  napi_value page;
  napi_create_bigint_uint64(env, reinterpret_cast<uintptr_t>(g_page), &page);
  napi_set_named_property(env, exports, "page", page);
  napi_value page_size;
  napi_create_int64(env, static_cast<int64_t>(g_page_size), &page_size);
  napi_set_named_property(env, exports, "pageSize", page_size);
  return exports;
}

}  // namespace

// Dirty-page tracking, a GC write barrier: make the page writable again and return, so the store is retried.
// Exported, so that guardStatus() can name it.
extern "C" __attribute__((visibility("default"))) void foreign_fixing_handler(int signo, siginfo_t* info,
                                                                         void* context) {
  if (OnWatchedPage(info)) {
    sigset_t now;
    pthread_sigmask(SIG_BLOCK, nullptr, &now);
    g_seen_segv_blocked = sigismember(&now, SIGSEGV);
    g_seen_usr1_blocked = sigismember(&now, SIGUSR1);
    mprotect(g_page, g_page_size, PROT_READ | PROT_WRITE);
    g_fixed++;
    return;
  }
  if (!g_quiet) Say("fixing handler: not mine, passing on\n");
  CallOld(signo, info, context);
}


NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
