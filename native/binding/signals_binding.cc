// N-API surface of the signals: watching (one subscriber per copy of the JavaScript layer, fed by the dedicated
// thread through an unref'd thread-safe function), sending, the calling thread's mask, every thread's state,
// the demo.
//
// Why one subscriber per copy and not per environment: jest gives each test file fresh JavaScript modules over
// one addon, and so does clearing require.cache; each copy has its own watchers and its own dispatch function,
// and each must receive what it watches.
//
// Lifecycle of a subscriber: created with its thread-safe function at a copy's first watch and kept until the
// environment goes. Its cleanup hook (registered after the thread-safe function, so it runs before Node closes
// that function) removes it from the hub, after which the dedicated thread never calls it, then releases the
// function; the function's finalizer deletes it. JavaScript holds it as a type-tagged external.
//
// Delivery through the event loop (setSignalDelivery(subscriber, true)): the subscriber also gets a signalfd of
// its own, polled by its environment's loop (signal_loop_reader.h); the hub has it read the signals this
// subscriber alone watches, and the poll callback hands them to `dispatch` at once, through napi_make_callback
// (so microtasks and nextTicks run after it, as after any event). Everything else still comes through the
// thread-safe function.
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "binding/bindings.h"
#include "binding/signal_loop_reader.h"
#include "signals/masking_demo.h"
#include "signals/proc_status.h"
#include "signals/signal_forward.h"
#include "signals/signal_hub.h"
#include "signals/signal_policy.h"
#include "signals/signal_send.h"
#include "signals/thread_masks.h"

namespace memprobe {

namespace {
constexpr napi_type_tag kSubscriberTag = {0x6d656d70726f6265ULL, 0x7369676e616c7331ULL};  // "memprobe" "signals1"
}  // namespace

class JsSubscriber : public SignalSubscriber {
 public:
  // The subscriber and the external that stands for it in JavaScript; nullptr when N-API refused.
  static napi_value Create(napi_env env, napi_value dispatch) {
    JsSubscriber* self = new JsSubscriber();
    napi_value name, external;
    napi_create_string_utf8(env, "memprobe:signals", NAPI_AUTO_LENGTH, &name);
    if (napi_create_threadsafe_function(env, dispatch, nullptr, name, 0, 1, self, Finalize, self, CallJs,
                                        &self->tsfn_) != napi_ok) {
      delete self;
      return nullptr;
    }
    napi_unref_threadsafe_function(env, self->tsfn_);
    self->env_ = env;
    napi_create_reference(env, dispatch, 1, &self->dispatch_);
    napi_value resource;
    napi_create_object(env, &resource);
    napi_async_init(env, resource, name, &self->async_context_);
    napi_add_env_cleanup_hook(env, Cleanup, self);
    if (napi_create_external(env, self, nullptr, nullptr, &external) != napi_ok ||
        napi_type_tag_object(env, external, &kSubscriberTag) != napi_ok) {
      return nullptr;  // the cleanup hook frees it with the environment
    }
    return external;
  }

  // The subscriber an external stands for, or nullptr when it is not one.
  static JsSubscriber* From(napi_env env, napi_value value) {
    bool tagged = false;
    void* raw = nullptr;
    if (napi_check_object_type_tag(env, value, &kSubscriberTag, &tagged) != napi_ok || !tagged) return nullptr;
    if (napi_get_value_external(env, value, &raw) != napi_ok) return nullptr;
    return static_cast<JsSubscriber*>(raw);
  }

  bool Notify() override { return napi_call_threadsafe_function(tsfn_, nullptr, napi_tsfn_nonblocking) == napi_ok; }

  void SetReferenced(napi_env env, bool referenced) {
    referenced_ = referenced;
    if (referenced) {
      napi_ref_threadsafe_function(env, tsfn_);
    } else {
      napi_unref_threadsafe_function(env, tsfn_);
    }
    if (reader_ != nullptr) reader_->SetReferenced(referenced);
  }

  // Whether the signals only this subscriber watches are read by its own event loop; 0 or an errno.
  int SetLoopDelivery(bool loop, const char** syscall) {
    if (loop == (reader_ != nullptr)) return 0;
    if (!loop) {
      HubSetLoopFd(this, -1);  // the signals move to the dedicated thread before the fd closes
      reader_->Close();
      reader_ = nullptr;
      return 0;
    }
    uv_loop_t* loop_handle = nullptr;
    if (napi_get_uv_event_loop(env_, &loop_handle) != napi_ok) {
      *syscall = "napi_get_uv_event_loop";
      return EINVAL;
    }
    int error = 0;
    reader_ = SignalLoopReader::Start(loop_handle, OnReadable, this, &error, syscall);
    if (reader_ == nullptr) return error;
    error = HubSetLoopFd(this, reader_->fd());
    if (error != 0) {
      *syscall = "signalfd";
      reader_->Close();
      reader_ = nullptr;
      return error;
    }
    reader_->SetReferenced(referenced_);
    return 0;
  }

  // On the environment's thread: everything queued, as one Int32Array of SignalEvent fields; nullptr when
  // nothing is queued (or N-API refused).
  napi_value TakeQueuedEvents(napi_env env) {
    TakeQueued(&scratch_);
    if (scratch_.empty()) return nullptr;
    const size_t bytes = scratch_.size() * sizeof(SignalEvent);
    void* data = nullptr;
    napi_value buffer, events;
    if (napi_create_arraybuffer(env, bytes, &data, &buffer) != napi_ok) return nullptr;
    memcpy(data, scratch_.data(), bytes);
    if (napi_create_typedarray(env, napi_int32_array, scratch_.size() * kSignalEventFields, buffer, 0, &events) != napi_ok) {
      return nullptr;
    }
    return events;
  }

 private:
  // The environment is going (a worker ends, or the process): after HubRemove nothing calls tsfn_ again.
  static void Cleanup(void* raw) {
    JsSubscriber* self = static_cast<JsSubscriber*>(raw);
    self->cleaned_ = true;
    HubRemove(self);
    self->ReleaseLoopSide();
    napi_release_threadsafe_function(self->tsfn_, napi_tsfn_abort);
  }

  // After HubRemove (the hub no longer reads the fd). The poll handle's close completes in the same loop turns
  // as the thread-safe function's, which Node waits for while it tears the environment down.
  void ReleaseLoopSide() {
    if (reader_ != nullptr) reader_->Close();
    reader_ = nullptr;
    if (dispatch_ != nullptr) napi_delete_reference(env_, dispatch_);
    dispatch_ = nullptr;
    if (async_context_ != nullptr) napi_async_destroy(env_, async_context_);
    async_context_ = nullptr;
  }

  // The event loop saw the own signalfd readable: read it (and with it, in order, whatever the dedicated thread
  // queued before) and hand everything to JavaScript in this same callback.
  static void OnReadable(void* raw) {
    JsSubscriber* self = static_cast<JsSubscriber*>(raw);
    HubReadLoop(self);
    napi_env env = self->env_;
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok) return;
    napi_value events = self->TakeQueuedEvents(env);
    napi_value dispatch, global;
    if (events != nullptr && napi_get_reference_value(env, self->dispatch_, &dispatch) == napi_ok &&
        napi_get_global(env, &global) == napi_ok &&
        napi_make_callback(env, self->async_context_, global, dispatch, 1, &events, nullptr) == napi_pending_exception) {
      // As for any event's callback: an uncaught exception (dispatch itself rethrows a listener's in a nextTick).
      // Not a worker's termination, whose "exception" is null: that one must simply end the callback.
      napi_value error;
      napi_valuetype type = napi_null;
      if (napi_get_and_clear_last_exception(env, &error) == napi_ok && napi_typeof(env, error, &type) == napi_ok &&
          type != napi_null && type != napi_undefined) {
        napi_fatal_exception(env, error);
      }
    }
    napi_close_handle_scope(env, scope);
  }

  static void Finalize(napi_env env, void* raw, void*) {
    JsSubscriber* self = static_cast<JsSubscriber*>(raw);
    if (!self->cleaned_) {  // only if Node ever closed the function before our hook ran
      napi_remove_env_cleanup_hook(env, Cleanup, self);
      HubRemove(self);
      self->ReleaseLoopSide();
    }
    delete self;
  }

  static void CallJs(napi_env env, napi_value dispatch, void* raw, void*) {
    if (env == nullptr) return;  // closing
    napi_value events = static_cast<JsSubscriber*>(raw)->TakeQueuedEvents(env);
    if (events == nullptr) return;
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    napi_call_function(env, undefined, dispatch, 1, &events, nullptr);
  }

  napi_threadsafe_function tsfn_ = nullptr;
  bool cleaned_ = false;
  napi_env env_ = nullptr;
  napi_ref dispatch_ = nullptr;               // for the event-loop path, which calls it without the tsfn
  napi_async_context async_context_ = nullptr;
  SignalLoopReader* reader_ = nullptr;        // the event-loop path is on
  bool referenced_ = false;
  std::vector<SignalEvent> scratch_;  // environment's thread only
};

namespace {

EnvData& Data(const Napi::CallbackInfo& info) { return *static_cast<EnvData*>(info.Data()); }

// Signal numbers from an array; anything that is not an integer from 1 to 64 becomes 0 (refused by the hub).
std::vector<int> SignalList(const Napi::Value& value) {
  const Napi::Array array = value.As<Napi::Array>();
  std::vector<int> signals;
  for (uint32_t i = 0; i < array.Length(); i++) {
    const double signo = array.Get(i).ToNumber().DoubleValue();
    signals.push_back(signo >= 1 && signo <= 64 && signo == static_cast<int>(signo) ? static_cast<int>(signo) : 0);
  }
  return signals;
}

Napi::Value Fail(const Napi::CallbackInfo& info, int error, const char* syscall_name) {
  ThrowSystemError(info.Env(), Data(info), error, syscall_name);
  return info.Env().Undefined();
}

// What the TypeScript layer checks first, checked again here: a RangeError with Node's code.
Napi::Value OutOfRange(const Napi::CallbackInfo& info, const std::string& message) {
  napi_throw_range_error(info.Env(), "ERR_OUT_OF_RANGE", message.c_str());
  return info.Env().Undefined();
}

// pid: the process the call was aimed at, named in the error (0: none, or this process).
Napi::Value Outcome(const Napi::CallbackInfo& info, const SystemCallResult& result, int pid) {
  ThrowIfFailed(info.Env(), Data(info), result, pid);
  return info.Env().Undefined();
}

// The subscriber passed first, or a TypeError thrown (nullptr).
JsSubscriber* SubscriberArgument(const Napi::CallbackInfo& info) {
  JsSubscriber* subscriber = JsSubscriber::From(info.Env(), info[0]);
  if (subscriber == nullptr) {
    napi_throw_type_error(info.Env(), "ERR_INVALID_ARG_TYPE", "The subscriber must come from createSignalSubscriber");
  }
  return subscriber;
}

// createSignalSubscriber(dispatch) -> the subscriber of one copy of the JavaScript layer
Napi::Value CreateSubscriber(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) {
    napi_throw_type_error(info.Env(), "ERR_INVALID_ARG_TYPE", "The dispatch argument must be a function");
    return info.Env().Undefined();
  }
  napi_value subscriber = JsSubscriber::Create(info.Env(), info[0]);
  if (subscriber == nullptr) return Fail(info, ENOMEM, "napi_create_threadsafe_function");
  return Napi::Value(info.Env(), subscriber);
}

// watchSignals(subscriber, signos) -> tid of the dedicated thread
Napi::Value Watch(const Napi::CallbackInfo& info) {
  JsSubscriber* subscriber = SubscriberArgument(info);
  if (subscriber == nullptr) return info.Env().Undefined();
  const std::vector<int> list = SignalList(info[1]);
  for (int signo : list) {
    if (const char* reason = WatchRefusal(signo)) {
      return OutOfRange(info, "Signal " + std::to_string(signo) + " cannot be watched: " + reason);
    }
  }
  const char* syscall_name = "sigaction";
  const int error = HubWatch(subscriber, list, &syscall_name);
  if (error != 0) return Fail(info, error, syscall_name);
  return Napi::Number::New(info.Env(), HubThreadId());
}

// unwatchSignals(subscriber, signos)
Napi::Value Unwatch(const Napi::CallbackInfo& info) {
  JsSubscriber* subscriber = SubscriberArgument(info);
  if (subscriber != nullptr) HubUnwatch(subscriber, SignalList(info[1]));
  return info.Env().Undefined();
}

// referenceSignals(subscriber, boolean): whether the subscriber's pending signals keep the event loop alive
Napi::Value Reference(const Napi::CallbackInfo& info) {
  JsSubscriber* subscriber = SubscriberArgument(info);
  if (subscriber != nullptr) subscriber->SetReferenced(info.Env(), info[1].ToBoolean());
  return info.Env().Undefined();
}

// setSignalDelivery(subscriber, boolean): whether signals only this subscriber watches are read by its own event
// loop (one wake-up) rather than by the dedicated thread
Napi::Value SetDelivery(const Napi::CallbackInfo& info) {
  JsSubscriber* subscriber = SubscriberArgument(info);
  if (subscriber == nullptr) return info.Env().Undefined();
  const char* syscall_name = "signalfd";
  const int error = subscriber->SetLoopDelivery(info[1].ToBoolean(), &syscall_name);
  if (error != 0) return Fail(info, error, syscall_name);
  return info.Env().Undefined();
}

// flushSignals(subscriber) -> Int32Array | undefined: every watched signal pending for the process or already
// taken by the dedicated thread, handed over now instead of at the next turn of the event loop.
Napi::Value Flush(const Napi::CallbackInfo& info) {
  JsSubscriber* subscriber = SubscriberArgument(info);
  if (subscriber == nullptr) return info.Env().Undefined();
  HubSync();
  HubReadLoop(subscriber);  // after the thread's round: what it had taken comes first in the queue
  napi_value events = subscriber->TakeQueuedEvents(info.Env());
  return events == nullptr ? info.Env().Undefined() : Napi::Value(info.Env(), events);
}

// prepareExec() / cancelExec(): around process.execve on the calling thread (see thread_masks.h).
Napi::Value PrepareExec(const Napi::CallbackInfo& info) {
  PrepareThisThreadForExec();
  return info.Env().Undefined();
}
Napi::Value CancelExec(const Napi::CallbackInfo& info) {
  CancelExecForThisThread();
  return info.Env().Undefined();
}

Napi::Value Reclaim(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), HubReclaim(info[0].As<Napi::Number>().Int32Value()));
}

// sendSignal(pid, signo, value: number (sival_int) | bigint (sival_ptr, 0 to 2^64-1) | undefined)
Napi::Value Send(const Napi::CallbackInfo& info) {
  SignalValue kind = SignalValue::kNone;
  uint64_t value = 0;
  if (info[2].IsBigInt()) {
    bool lossless = false;
    value = info[2].As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) return OutOfRange(info, "The sigqueue value must fit in 64 bits");
    kind = SignalValue::kPointer;
  } else if (!info[2].IsUndefined()) {
    value = static_cast<uint32_t>(info[2].As<Napi::Number>().Int32Value());
    kind = SignalValue::kInt;
  }
  const int pid = info[0].As<Napi::Number>().Int32Value();
  return Outcome(info, SendSignal(pid, info[1].As<Napi::Number>().Int32Value(), kind, value), pid);
}

// signalThread(tid, signo, tgid: the thread's process, 0 or undefined for this one)
Napi::Value SendToThread(const Napi::CallbackInfo& info) {
  const int tgid = info[2].IsUndefined() ? 0 : info[2].As<Napi::Number>().Int32Value();
  const int tid = info[0].As<Napi::Number>().Int32Value();
  const SystemCallResult result = SignalThread(tgid, tid, info[1].As<Napi::Number>().Int32Value());
  if ((tgid == 0 || tgid == getpid()) && tid == HubThreadId()) HubNudge();  // see HubNudge
  return Outcome(info, result, tgid);
}

// changeSignalMask(how: 0 read | 1 block | 2 unblock, signals: bigint) -> bigint, the mask before
Napi::Value ChangeMask(const Napi::CallbackInfo& info) {
  static const int kHow[] = {0, SIG_BLOCK, SIG_UNBLOCK};
  const double how = info[0].As<Napi::Number>().DoubleValue();
  if (!(how == 0 || how == 1 || how == 2)) return OutOfRange(info, "The mask operation must be 0, 1 or 2");
  bool lossless = false;
  const uint64_t signals = info[1].As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) return OutOfRange(info, "The signal set must fit in 64 bits");
  for (int signo = 1; how == 1 && signo <= 64; signo++) {
    if (!(signals & SignalBit(signo))) continue;
    if (const char* reason = BlockRefusal(signo)) {
      return OutOfRange(info, "Signal " + std::to_string(signo) + " cannot be blocked: " + reason);
    }
  }
  uint64_t previous = 0;
  const int error = ChangeThisThreadMask(kHow[static_cast<int>(how)], signals, &previous);
  if (error != 0) return Fail(info, error, "pthread_sigmask");
  return Napi::BigInt::New(info.Env(), previous);
}

Napi::Object StatusObject(Napi::Env env, const ThreadStatus& status) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("tid", status.tid);
  object.Set("name", status.name);
  object.Set("pending", Napi::BigInt::New(env, status.pending));
  object.Set("sharedPending", Napi::BigInt::New(env, status.shared_pending));
  object.Set("blocked", Napi::BigInt::New(env, status.blocked));
  object.Set("ignored", Napi::BigInt::New(env, status.ignored));
  object.Set("caught", Napi::BigInt::New(env, status.caught));
  return object;
}

Napi::Array StatusArray(Napi::Env env, const std::vector<ThreadStatus>& statuses) {
  Napi::Array array = Napi::Array::New(env, statuses.size());
  for (size_t i = 0; i < statuses.size(); i++) array.Set(static_cast<uint32_t>(i), StatusObject(env, statuses[i]));
  return array;
}

// threadStatuses(pid, 0 for this process) -> [{tid, name, pending, sharedPending, blocked, ignored, caught}]
Napi::Value ThreadStatuses(const Napi::CallbackInfo& info) {
  std::vector<ThreadStatus> statuses;
  const int error = ReadAllThreadStatuses(info[0].As<Napi::Number>().Int32Value(), &statuses);
  if (error != 0) return Fail(info, error == ENOENT ? ESRCH : error, "opendir");  // no /proc/<pid>: no such process
  return StatusArray(info.Env(), statuses);
}

Napi::Value MaskingDemo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MaskingDemoResult result{};
  const char* syscall_name = "sigaction";
  const int error = RunMaskingDemo(&result, &syscall_name);
  if (error != 0) return Fail(info, error, syscall_name);
  Napi::Object object = Napi::Object::New(env);
  object.Set("signo", result.signo);
  Napi::Array demo_threads = Napi::Array::New(env, result.demo_threads.size());
  for (size_t i = 0; i < result.demo_threads.size(); i++) {
    Napi::Object thread = Napi::Object::New(env);
    thread.Set("tid", result.demo_threads[i].tid);
    thread.Set("name", result.demo_threads[i].name);
    thread.Set("blocks", result.demo_threads[i].blocks);
    demo_threads.Set(static_cast<uint32_t>(i), thread);
  }
  object.Set("demoThreads", demo_threads);
  object.Set("before", StatusArray(env, result.before));
  object.Set("processDirectedTo", result.process_directed_to);
  object.Set("blockedTarget", result.blocked_target);
  object.Set("blockedTargetAfter", StatusObject(env, result.blocked_target_after));
  object.Set("blockedTargetHandledBy", result.blocked_target_handled_by);
  object.Set("openTarget", result.open_target);
  object.Set("openTargetHandledBy", result.open_target_handled_by);
  object.Set("openTargetAfter", StatusObject(env, result.open_target_after));
  return object;
}

Napi::Value ThreadId(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), HubThreadId()); }

// Test hook: how many signals took the forwarding handler's path, how many of those were lost, how many
// the forwarding pipe holds (0 before the first watch), how many the dedicated thread read from its signalfd, and
// how many event loops read from their own (the event-loop path).
Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Object object = Napi::Object::New(info.Env());
  object.Set("forwarded", static_cast<double>(ForwardedCount()));
  object.Set("dropped", static_cast<double>(ForwardDropped()));
  object.Set("forwardCapacity", static_cast<double>(ForwardCapacity()));
  object.Set("taken", static_cast<double>(HubTakenCount()));
  object.Set("loopRead", static_cast<double>(HubLoopReadCount()));
  return object;
}

Napi::Object Constants(Napi::Env env) {
  Napi::Object constants = Napi::Object::New(env);
  constants.Set("rtmin", SIGRTMIN);
  constants.Set("rtmax", SIGRTMAX);
  constants.Set("maskHelper", MaskHelperSignal());
  constants.Set("eventFields", kSignalEventFields);
  constants.Set("clockTicks", static_cast<double>(sysconf(_SC_CLK_TCK)));
  Napi::Object watch_refusals = Napi::Object::New(env);
  Napi::Object block_refusals = Napi::Object::New(env);
  for (int signo = 1; signo <= SIGRTMAX; signo++) {
    if (const char* reason = WatchRefusal(signo)) watch_refusals.Set(static_cast<uint32_t>(signo), reason);
    if (const char* reason = BlockRefusal(signo)) block_refusals.Set(static_cast<uint32_t>(signo), reason);
  }
  constants.Set("watchRefusals", watch_refusals);
  constants.Set("blockRefusals", block_refusals);
  return constants;
}

}  // namespace

void InitSignals(Napi::Env env, Napi::Object exports, EnvData* data) {
  ExportFunctions(env, exports, data,
                  {
                      {"createSignalSubscriber", CreateSubscriber},
                      {"watchSignals", Watch},           {"unwatchSignals", Unwatch},     {"referenceSignals", Reference},
                      {"setSignalDelivery", SetDelivery},
                      {"flushSignals", Flush},           {"prepareExec", PrepareExec},    {"cancelExec", CancelExec},
                      {"reclaimSignal", Reclaim},        {"signalThreadId", ThreadId},    {"sendSignal", Send},
                      {"signalThread", SendToThread},    {"changeSignalMask", ChangeMask}, {"threadStatuses", ThreadStatuses},
                      {"maskingDemo", MaskingDemo},      {"_signalStats", Stats},
                  });
  exports.Set("signalConstants", Constants(env));
}

}  // namespace memprobe
