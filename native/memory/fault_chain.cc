#include "memory/fault_chain.h"

#include <cxxabi.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

#include "memory/arch.h"
#include "memory/executable.h"
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

const ucontext_t* Frame(void* context) { return static_cast<const ucontext_t*>(context); }

// The registers an interrupted instruction resumes with (arch::ResumedRegisters: the general registers, the
// stack pointer, the PC and the flags), without the kernel's notes about the exception. Two signals with the
// same digest were delivered at the same instruction in the same state: the same fault handed on by another
// handler, or the retry of an access nothing changed. A digest keeps the per-thread records small (initial-exec
// TLS comes out of a surplus that every library loaded later shares).
uint64_t ResumedRegistersDigest(void* context) {
  if (context == nullptr) return 0;
  size_t count = 0;
  const uint64_t* registers = arch::ResumedRegisters(Frame(context), &count);
  uint64_t digest = 0x9e3779b97f4a7c15;
  for (size_t i = 0; i < count; i++) {
    digest = (digest ^ registers[i]) * 0xff51afd7ed558ccd;
    digest ^= digest >> 32;
  }
  return digest;
}

// How a signal came about, as far as the table goes. Sent: si_code <= 0 (kill, tgkill, sigqueue), or
// BUS_MCEERR_AO, the kernel's report of memory corruption found in the background, delivered at no particular
// instruction. Everything else claims to be a fault; whether it will come back is asked separately
// (AccessFailsNow), because a process may queue itself any si_code.
enum class Origin : uint8_t { kSent, kFault };
Origin OriginOf(int signo, const siginfo_t* info) {
  if (info->si_code <= 0 || (signo == SIGBUS && info->si_code == BUS_MCEERR_AO)) return Origin::kSent;
  return Origin::kFault;
}

// Whether the signal is a page fault this thread just took: the kernel notes each exception it turns into a
// signal (x86-64: trap number, error code, CR2; aarch64: ESR and fault_address) in the thread and copies the
// notes into every signal frame it builds, so a signal the thread queued itself carries the notes of its last
// real exception, for another address unless it copies that one exactly.
bool IsPageFault(int signo, const siginfo_t* info, void* context) {
  if (context == nullptr) return false;  // a handler that chained without the kernel's context
  return OriginOf(signo, info) == Origin::kFault &&
         arch::IsPageFaultNote(Frame(context), reinterpret_cast<uintptr_t>(info->si_addr));
}

// Whether the access of a page fault fails now, proven: for a load or store by making the same access
// (guarded), for an instruction fetch by the maps (no probe can execute). `ours` says whether the guard's
// handler still has the signal, so that the probe's own fault comes back to it; when it does not, nothing is
// proven. An access the frame cannot classify (arch::FaultAccess::kUnknown) is proven to fail only when a read
// fails there (no page can be written that cannot be read).
bool AccessFailsNow(int signo, siginfo_t* info, void* context, bool (*ours)(int)) {
  // The probe's own fault must reach the guard: a handler without SA_NODEFER that tail-called ours left the
  // signal blocked. Classifying the access may itself take a guarded load (aarch64 without a syndrome record
  // reads the faulting instruction), so it comes after.
  const bool guarded = ours(signo);
  sigset_t fault_signals, saved;
  sigemptyset(&fault_signals);
  sigaddset(&fault_signals, SIGSEGV);
  sigaddset(&fault_signals, SIGBUS);
  if (guarded) pthread_sigmask(SIG_UNBLOCK, &fault_signals, &saved);
  const arch::FaultAccess access = arch::FaultAccessOf(Frame(context), info, guarded);
  bool fails = false;
  if (access == arch::FaultAccess::kExecute) {
    fails = ExecutableNow(reinterpret_cast<uintptr_t>(info->si_addr)) == Executable::kNo;
  } else if (guarded) {
    auto* address = static_cast<uint8_t*>(info->si_addr);
    const GuardedResult probe =
        access == arch::FaultAccess::kWrite ? memprobe_touch_write(address) : memprobe_touch_read(address);
    fails = probe.trap != 0;
  }
  if (guarded) pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  return fails;
}

// A function of the chain that is running on this thread, so that a call back into the guard from inside it
// (a displacer chaining to what it replaced) continues below it. Such a call runs deeper on the stack than
// `frame` and hands on the very signal the function was given: the same signal, code and address, delivered
// in the same state (the registers' digest). A function that leaves by siglongjmp never returns to restore
// the record, and the thread goes on above the dead frame. A later fault at the same instruction and address
// taken deeper on the stack has another stack pointer, so other registers; one with the same registers was
// interrupted at the same depth, and its handler runs no deeper than the dead frame. Either way the record
// cannot match it.
struct ChainCall {
  uintptr_t frame;  // an address in the frame that made the call; 0: none
  int signo;
  int code;
  void* address;
  uint64_t registers;  // ResumedRegistersDigest of the context handed to the function
  const Link* next;
};
__thread ChainCall t_call __attribute__((tls_model("initial-exec"))) = {0, 0, 0, nullptr, 0, nullptr};

// A fault handed to a function that returned without fixing it (the access was proven to fail after it). Only
// the immediate retry of that access may match: the very next signal that reaches the chain on this thread
// consumes the record, and it matches only with the same signal, code and address and the registers the
// retry starts with.
struct UnfixedFault {
  int signo;
  int code;
  uintptr_t address;
  uint64_t registers;  // ResumedRegistersDigest of the context the function returned
};
__thread UnfixedFault t_unfixed __attribute__((tls_model("initial-exec"))) = {0, 0, 0, 0};

void RestoreDefault(int signo) {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(signo, &dfl, nullptr);
}

// Queues the signal to this thread again with its own siginfo (Linux lets a process do that for itself, any
// si_code), so that whatever meets it sees the signal it would have seen.
void SendAgain(int signo, siginfo_t* info) {
  if (syscall(SYS_rt_tgsigqueueinfo, getpid(), syscall(SYS_gettid), signo, info) != 0) raise(signo);
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
                     ResumedRegistersDigest(context), link->next};
  link->function(signo, info, context);
  t_call = outer;
  (void)frame_marker;
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
}

// The default action. A page fault whose access still fails: install SIG_DFL and return; the access repeats
// and the kernel itself ends the process at the faulting instruction. Anything else (a sent signal, an
// asynchronous one, a fault that will not come back): install SIG_DFL and queue the signal again, which the
// default action meets as soon as the signal is unblocked. Where V8's trap handler could not be called
// directly, Node's handler takes this place for faults (wasm traps, or the same default after restoring the
// terminal).
void TakeDefault(int signo, siginfo_t* info, void* context, Origin origin, bool (*ours)(int)) {
  if (origin == Origin::kFault && g_v8_trap.load(std::memory_order_relaxed) == nullptr) {
    const Link* node = g_node_handler[Slot(signo)].load(std::memory_order_acquire);
    if (node != nullptr) {
      CallFunction(node, signo, info, context, false);
      return;
    }
  }
  const bool repeats = IsPageFault(signo, info, context) && AccessFailsNow(signo, info, context, ours);
  RestoreDefault(signo);
  if (!repeats) SendAgain(signo, info);
}

void Run(const Link* link, int signo, siginfo_t* info, void* context, Origin origin, bool head,
         bool (*ours)(int)) {
  if (link == nullptr || link->kind == Kind::kDefault || (link->kind == Kind::kIgnore && origin == Origin::kFault)) {
    TakeDefault(signo, info, context, origin, ours);
  } else if (link->kind == Kind::kFunction) {
    CallFunction(link, signo, info, context, head);
  }
}

// After the head's function returned from a fault: if it left the registers as they were and the fault is a
// page fault whose access still fails, or a general-protection fault (SI_KERNEL: it comes from the
// instruction and its registers alone), the retry will fault the same way: note it.
void NoteIfUnfixed(int signo, siginfo_t* info, void* context, uint64_t before, bool (*ours)(int)) {
  if (context == nullptr) return;
  const uint64_t after = ResumedRegistersDigest(context);
  if (after != before) return;  // it moved the context: not the same access
  if (!ours(signo)) return;     // the disposition changed (to SIG_DFL, say): the repeated access meets that
  const bool general_protection = arch::IsGeneralProtection(Frame(context), info);
  const bool unfixed = general_protection ||
                       (IsPageFault(signo, info, context) && AccessFailsNow(signo, info, context, ours));
  if (unfixed) t_unfixed = UnfixedFault{signo, info->si_code, reinterpret_cast<uintptr_t>(info->si_addr), after};
}

bool IsCallBack(const siginfo_t* info, void* context, uintptr_t depth) {
  const ChainCall& call = t_call;
  return call.frame != 0 && depth < call.frame && call.signo == info->si_signo && call.code == info->si_code &&
         call.address == info->si_addr && call.registers == ResumedRegistersDigest(context);
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
  const Origin origin = OriginOf(signo, info);
  volatile char depth_marker = 0;
  const uintptr_t depth = reinterpret_cast<uintptr_t>(&depth_marker);
  if (IsCallBack(info, context, depth)) {
    // A function of the chain handed the fault back to the guard it displaced: go on below it.
    Run(t_call.next, signo, info, context, origin, false, ours);
    return;
  }
  const UnfixedFault unfixed = t_unfixed;
  t_unfixed = UnfixedFault{0, 0, 0, 0};
  if (origin == Origin::kFault) {
    const TrapHandler v8 = g_v8_trap.load(std::memory_order_relaxed);
    if (v8 != nullptr && v8(signo, info, context)) return;
    if (unfixed.signo == signo && unfixed.code == info->si_code &&
        unfixed.address == reinterpret_cast<uintptr_t>(info->si_addr) &&
        unfixed.registers == ResumedRegistersDigest(context)) {
      TakeDefault(signo, info, context, origin, ours);  // the same fault straight back: nobody is going to fix it
      return;
    }
  }
  const Link* head = g_head[Slot(signo)].load(std::memory_order_acquire);
  if (origin == Origin::kSent || head == nullptr || head->kind != Kind::kFunction) {
    Run(head, signo, info, context, origin, true, ours);
    return;
  }
  const uint64_t before = ResumedRegistersDigest(context);
  Run(head, signo, info, context, origin, true, ours);
  NoteIfUnfixed(signo, info, context, before, ours);
}

void ChainDescribe(int signo, char* out, size_t size) {
  const Link* head = g_head[Slot(signo)].load(std::memory_order_acquire);
  snprintf(out, size, "%s", head != nullptr ? head->description : "default");
}

void ChainUseV8TrapHandler(bool use) { g_v8_trap.store(use ? g_v8_found : nullptr, std::memory_order_relaxed); }

}  // namespace memprobe
