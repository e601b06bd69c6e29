#include "memory/fault_chain.h"

#include <cxxabi.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <atomic>
#include <cstdint>

#include "memory/guarded_access.h"

namespace memprobe {

namespace {

enum class Kind : uint8_t { kDefault, kIgnore, kFunction };
using Function = void (*)(int, siginfo_t*, void*);
using TrapHandler = bool (*)(int, siginfo_t*, void*);

// The kernel reports SA_RESTORER (glibc's sigreturn trampoline) in every action glibc installed; it says nothing
// about the action itself.
constexpr int kSaRestorer = 0x04000000;
constexpr int kSignalCount = 64;

// One action, as it was when it entered the chain. Immutable once published; never freed.
struct Link {
  Kind kind;
  Function function;  // kFunction: sa_sigaction or sa_handler (the same union member in glibc)
  int flags;          // without SA_RESTORER
  sigset_t mask;      // signals 1..64 only: glibc fills just the kernel's 8 bytes of a queried mask
  const Link* next;   // the action this one displaced; null below SIG_DFL/SIG_IGN, which never chain
  const Link* all;    // every link ever made, for reuse (install mutex only; the handler never reads it)
  char description[120];
};

int Slot(int signo) { return signo == SIGBUS ? 1 : 0; }

std::atomic<const Link*> g_head[2];
std::atomic<const Link*> g_node_handler[2];  // Node's TrapWebAssemblyOrContinue, once it was seen in the chain
const Link* g_default[2];                    // {SIG_DFL}: the head after an SA_RESETHAND action ran
std::atomic<TrapHandler> g_v8_trap{nullptr};
TrapHandler g_v8_found = nullptr;
const Link* g_all = nullptr;

// Links live in pages of their own, never unmapped: a handler on another thread may still be reading any of
// them. Equal links are shared (Intern), so the pages only grow with the number of distinct actions.
Link* NewLink() {
  static Link* next_free = nullptr;
  static size_t left = 0;
  if (left == 0) {
    constexpr size_t kChunk = 16 * 1024;
    void* chunk = mmap(nullptr, kChunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (chunk == MAP_FAILED) return nullptr;
    next_free = static_cast<Link*>(chunk);
    left = kChunk / sizeof(Link);
  }
  left--;
  return next_free++;
}

Kind KindOf(const struct sigaction& action) {
  // The handler value first: SA_SIGINFO means nothing for SIG_DFL and SIG_IGN.
  if (action.sa_handler == SIG_DFL) return Kind::kDefault;
  if (action.sa_handler == SIG_IGN) return Kind::kIgnore;
  return Kind::kFunction;
}

void NormalisedMask(const sigset_t& from, sigset_t* to) {
  sigemptyset(to);
  for (int signo = 1; signo <= kSignalCount; signo++) {
    if (sigismember(&from, signo) == 1) sigaddset(to, signo);
  }
}

bool SameMask(const sigset_t& a, const sigset_t& b) {
  for (int signo = 1; signo <= kSignalCount; signo++) {
    if (sigismember(&a, signo) != sigismember(&b, signo)) return false;
  }
  return true;
}

// An action as the chain compares and keeps it.
struct Key {
  Kind kind;
  Function function;
  int flags;
  sigset_t mask;
};

Key KeyOf(const struct sigaction& action) {
  Key key{KindOf(action), nullptr, 0, {}};
  sigemptyset(&key.mask);
  if (key.kind == Kind::kFunction) {
    key.function = action.sa_sigaction;
    key.flags = action.sa_flags & ~kSaRestorer;
    NormalisedMask(action.sa_mask, &key.mask);
  }
  return key;
}

bool SameAction(const Link& link, const Key& key) {
  if (link.kind != key.kind) return false;
  if (key.kind != Kind::kFunction) return true;
  return link.function == key.function && link.flags == key.flags && SameMask(link.mask, key.mask);
}

void Describe(Link* link) {
  char* out = link->description;
  const size_t size = sizeof link->description;
  if (link->kind != Kind::kFunction) {
    snprintf(out, size, "%s", link->kind == Kind::kDefault ? "default" : "ignore");
    return;
  }
  void* function = reinterpret_cast<void*>(link->function);
  Dl_info where;
  const bool found = dladdr(function, &where) != 0;
  const char* symbol = found && where.dli_saddr == function ? where.dli_sname : nullptr;
  if (symbol != nullptr && strstr(symbol, "TrapWebAssemblyOrContinue") != nullptr) {
    snprintf(out, size, "node-wasm-trap");
  } else if (found && where.dli_fname != nullptr && strstr(where.dli_fname, "segfault-handler") != nullptr) {
    snprintf(out, size, "segfault-handler");
  } else if (symbol != nullptr) {
    int status = -1;
    char* readable = abi::__cxa_demangle(symbol, nullptr, nullptr, &status);
    snprintf(out, size, "handler %s", status == 0 ? readable : symbol);
    free(readable);
  } else {
    snprintf(out, size, "handler %p", function);
  }
}

const Link* Intern(const Key& key, const Link* next) {
  for (const Link* link = g_all; link != nullptr; link = link->all) {
    if (link->next == next && SameAction(*link, key)) return link;
  }
  Link* link = NewLink();
  if (link == nullptr) return nullptr;
  link->kind = key.kind;
  link->function = key.function;
  link->flags = key.flags;
  link->mask = key.mask;
  link->next = next;
  Describe(link);
  link->all = g_all;
  g_all = link;
  return link;
}

void Publish(int signo, const Link* link) {
  if (link == nullptr) return;
  const int slot = Slot(signo);
  if (strcmp(link->description, "node-wasm-trap") == 0) g_node_handler[slot].store(link, std::memory_order_release);
  g_head[slot].store(link, std::memory_order_release);
}

// --- inside the handler ---

constexpr greg_t kPageFaultWrite = 0x2;              // x86 page-fault error code: a write access
constexpr greg_t kPageFaultInstructionFetch = 0x10;  // an instruction fetch

greg_t* Registers(void* context) { return static_cast<ucontext_t*>(context)->uc_mcontext.gregs; }
uintptr_t ProgramCounter(void* context) { return static_cast<uintptr_t>(Registers(context)[REG_RIP]); }

// A function of the chain that is running on this thread, so that a call back into the guard from inside it
// (a displacer chaining to what it replaced) continues below it. Such a call runs deeper on the stack than
// `depth` and hands on the same fault.
struct ChainCall {
  uintptr_t depth;  // an address in the frame that made the call; 0: none
  int signo;
  int code;
  void* address;
  uintptr_t pc;
  const Link* next;
};
__thread ChainCall t_call __attribute__((tls_model("initial-exec"))) = {0, 0, 0, nullptr, 0, nullptr};

// A fault handed to a function that returned without fixing it. If the very next fault on this thread is the
// same one, the default action ends the process. Cleared by any other fault.
struct UnfixedFault {
  int signo;
  uintptr_t address;
  uintptr_t pc;
};
__thread UnfixedFault t_unfixed __attribute__((tls_model("initial-exec"))) = {0, 0, 0};

void RestoreDefault(int signo) {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(signo, &dfl, nullptr);
}

// Runs a function of the chain as the kernel would have: its mask, its SA_NODEFER, its SA_RESETHAND.
__attribute__((noinline)) void CallFunction(const Link* link, int signo, siginfo_t* info, void* context,
                                            bool head) {
  sigset_t add = link->mask;
  if (!(link->flags & SA_NODEFER)) sigaddset(&add, signo);
  sigset_t saved;
  pthread_sigmask(SIG_BLOCK, &add, &saved);
  if (head && (link->flags & SA_RESETHAND)) {
    const Link* expected = link;
    g_head[Slot(signo)].compare_exchange_strong(expected, g_default[Slot(signo)], std::memory_order_acq_rel);
  }
  const ChainCall outer = t_call;
  volatile char frame_marker = 0;
  t_call = ChainCall{reinterpret_cast<uintptr_t>(&frame_marker), signo, info->si_code, info->si_addr,
                     context != nullptr ? ProgramCounter(context) : 0, link->next};
  link->function(signo, info, context);
  t_call = outer;
  (void)frame_marker;
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
}

// The default action: for a fault, install SIG_DFL and let the access repeat; for a sent signal, raise it again.
// Where V8's trap handler could not be called directly, Node's handler takes this place (wasm traps, or the same
// default after restoring the terminal).
void TakeDefault(int signo, siginfo_t* info, void* context, bool fault) {
  if (fault && g_v8_trap.load(std::memory_order_relaxed) == nullptr) {
    const Link* node = g_node_handler[Slot(signo)].load(std::memory_order_acquire);
    if (node != nullptr) {
      CallFunction(node, signo, info, context, false);
      return;
    }
  }
  RestoreDefault(signo);
  if (!fault) raise(signo);
}

void Run(const Link* link, int signo, siginfo_t* info, void* context, bool fault, bool head) {
  if (link == nullptr || link->kind == Kind::kDefault || (link->kind == Kind::kIgnore && fault)) {
    TakeDefault(signo, info, context, fault);
  } else if (link->kind == Kind::kFunction) {
    CallFunction(link, signo, info, context, head);
  }
}

// After the head's function returned from a fault: was the fault fixed?
void NoteIfUnfixed(int signo, siginfo_t* info, void* context, const greg_t* before, bool (*ours)(int)) {
  const greg_t* after = Registers(context);
  if (memcmp(before, after, sizeof(greg_t) * NGREG) != 0) return;  // it moved the context: not the same access
  if (!ours(signo)) return;  // the disposition changed (to SIG_DFL, say): the repeated access meets that
  bool fixed = false;
  const greg_t error = after[REG_ERR];
  if (info->si_code != SI_KERNEL && !(error & kPageFaultInstructionFetch)) {
    // The probe's own fault must reach the guard: a handler without SA_NODEFER that tail-called ours left
    // the signal blocked.
    sigset_t fault_signals, saved;
    sigemptyset(&fault_signals);
    sigaddset(&fault_signals, SIGSEGV);
    sigaddset(&fault_signals, SIGBUS);
    pthread_sigmask(SIG_UNBLOCK, &fault_signals, &saved);
    auto* address = static_cast<uint8_t*>(info->si_addr);
    const GuardedResult probe =
        (error & kPageFaultWrite) ? memprobe_touch_write(address) : memprobe_touch_read(address);
    pthread_sigmask(SIG_SETMASK, &saved, nullptr);
    fixed = probe.trap == 0;
  }
  if (!fixed) t_unfixed = UnfixedFault{signo, reinterpret_cast<uintptr_t>(info->si_addr), ProgramCounter(context)};
}

bool IsCallBack(const siginfo_t* info, void* context, uintptr_t depth) {
  const ChainCall& call = t_call;
  return call.depth != 0 && depth < call.depth && call.signo == info->si_signo && call.code == info->si_code &&
         call.address == info->si_addr && call.pc == (context != nullptr ? ProgramCounter(context) : 0);
}

}  // namespace

void ChainStart(int signo, const struct sigaction& original) {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  g_default[Slot(signo)] = Intern(KeyOf(dfl), nullptr);
  if (g_v8_found == nullptr) {
    // V8's WebAssembly trap handler, exported by the node binary (C++ API, not Node-API).
    g_v8_found =
        reinterpret_cast<TrapHandler>(dlsym(RTLD_DEFAULT, "_ZN2v829TryHandleWebAssemblyTrapPosixEiP9siginfo_tPv"));
    g_v8_trap.store(g_v8_found, std::memory_order_relaxed);
  }
  Publish(signo, Intern(KeyOf(original), nullptr));
}

void ChainDisplacedBy(int signo, const struct sigaction& displacer) {
  const Link* head = g_head[Slot(signo)].load(std::memory_order_acquire);
  const Key key = KeyOf(displacer);
  if (head != nullptr && SameAction(*head, key)) return;  // installed again (segfault-handler re-registering)
  // SIG_DFL and SIG_IGN never call what they replaced: nothing below them can be reached.
  Publish(signo, Intern(key, key.kind == Kind::kFunction ? head : nullptr));
}

void ChainToPrevious(int signo, siginfo_t* info, void* context, bool (*ours)(int)) {
  const bool fault = info->si_code > 0;
  volatile char depth_marker = 0;
  const uintptr_t depth = reinterpret_cast<uintptr_t>(&depth_marker);
  if (IsCallBack(info, context, depth)) {
    // A function of the chain handed the fault back to the guard it displaced: go on below it.
    Run(t_call.next, signo, info, context, fault, false);
    return;
  }
  if (fault) {
    const TrapHandler v8 = g_v8_trap.load(std::memory_order_relaxed);
    if (v8 != nullptr && v8(signo, info, context)) return;
    const UnfixedFault unfixed = t_unfixed;
    t_unfixed = UnfixedFault{0, 0, 0};
    if (unfixed.signo == signo && unfixed.address == reinterpret_cast<uintptr_t>(info->si_addr) &&
        unfixed.pc == ProgramCounter(context)) {
      TakeDefault(signo, info, context, true);  // the same fault straight back: nobody is going to fix it
      return;
    }
  }
  const Link* head = g_head[Slot(signo)].load(std::memory_order_acquire);
  if (!fault || head == nullptr || head->kind != Kind::kFunction) {
    Run(head, signo, info, context, fault, true);
    return;
  }
  greg_t before[NGREG];
  memcpy(before, Registers(context), sizeof before);
  Run(head, signo, info, context, fault, true);
  NoteIfUnfixed(signo, info, context, before, ours);
}

void ChainDescribe(int signo, char* out, size_t size) {
  const Link* head = g_head[Slot(signo)].load(std::memory_order_acquire);
  snprintf(out, size, "%s", head != nullptr ? head->description : "default");
}

void ChainUseV8TrapHandler(bool use) { g_v8_trap.store(use ? g_v8_found : nullptr, std::memory_order_relaxed); }

}  // namespace memprobe
