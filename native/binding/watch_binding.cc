// N-API surface of the page access monitor (watch/access_monitor.h): starting one with its wake-up on this
// environment's loop, handing its reports to JavaScript as a BigUint64Array, stopping it.
//
// The handler wakes the loop with uv_async_send, which libuv documents as async-signal-safe (an atomic flag and
// a write to the loop's eventfd). The async handle lives until MonitorStop has returned (no handler can call it
// any more), then is closed. It is ref'd unless JavaScript unrefs it: a running monitor keeps its loop alive, so
// no report is lost at exit; stop() ends that. The environment's cleanup hook stops the monitors of a worker that is terminated.
#include <uv.h>

#include <string.h>

#include <vector>

#include "binding/bindings.h"
#include "memory/guard.h"
#include "watch/access_monitor.h"

namespace memprobe {

namespace {

constexpr size_t kReportWords = sizeof(AccessReport) / sizeof(uint64_t);

struct MonitorBinding {
  AccessMonitor* monitor = nullptr;
  uv_async_t* async = nullptr;
  napi_env env = nullptr;
  napi_ref drain = nullptr;
  napi_async_context async_context = nullptr;
  napi_async_cleanup_hook_handle cleanup = nullptr;
  bool stopped = false;
};

void Notify(void* context) { uv_async_send(static_cast<uv_async_t*>(context)); }

// On the loop: calls the JavaScript drain, which takes the reports itself.
void OnAsync(uv_async_t* async) {
  auto* self = static_cast<MonitorBinding*>(async->data);
  if (self == nullptr || self->stopped) return;
  napi_env env = self->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value drain, receiver, ignored;  // the receiver must be an object (napi_make_callback converts it)
  if (napi_get_reference_value(env, self->drain, &drain) == napi_ok && drain != nullptr &&
      napi_get_global(env, &receiver) == napi_ok) {
    if (napi_make_callback(env, self->async_context, receiver, drain, 0, nullptr, &ignored) == napi_pending_exception) {
      napi_value error;
      if (napi_get_and_clear_last_exception(env, &error) == napi_ok) napi_fatal_exception(env, error);
    }
  }
  napi_close_handle_scope(env, scope);
}

// Stops the monitor (restoring its pages) and closes the async handle; the reports stay to be taken until
// Release. `hook`: the environment's cleanup hook that is stopping it, removed once the handle is closed (Node
// runs the loop until then, so a worker's loop closes without an open handle).
struct Closing {
  uv_async_t async;  // first: the close callback gets it back as a handle
  napi_async_cleanup_hook_handle hook;
};

void Stop(MonitorBinding* self, napi_async_cleanup_hook_handle hook) {
  if (self->stopped) return;
  self->stopped = true;
  MonitorStop(self->monitor);
  Closing* closing = reinterpret_cast<Closing*>(self->async);
  closing->hook = hook;
  closing->async.data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&closing->async), [](uv_handle_t* handle) {
    Closing* closed = reinterpret_cast<Closing*>(handle);
    if (closed->hook != nullptr) napi_remove_async_cleanup_hook(closed->hook);
    delete closed;
  });
  self->async = nullptr;
}

void Release(MonitorBinding* self) {
  if (self->monitor != nullptr) {
    MonitorFree(self->monitor);
    self->monitor = nullptr;
  }
  if (self->drain != nullptr) napi_delete_reference(self->env, self->drain);
  self->drain = nullptr;
  if (self->async_context != nullptr) napi_async_destroy(self->env, self->async_context);
  self->async_context = nullptr;
}

void CleanupMonitor(napi_async_cleanup_hook_handle handle, void* arg) {
  auto* self = static_cast<MonitorBinding*>(arg);
  self->cleanup = nullptr;
  Stop(self, handle);
  Release(self);
}

MonitorBinding* Unwrap(const Napi::Value& value) { return value.As<Napi::External<MonitorBinding>>().Data(); }

// The reports ready now, in order, as 7 words each; none for a null monitor.
Napi::Value Reports(Napi::Env env, AccessMonitor* monitor) {
  std::vector<AccessReport> reports;
  AccessReport batch[256];
  for (size_t taken; monitor != nullptr && (taken = MonitorTakeReports(monitor, batch, 256)) > 0;) {
    reports.insert(reports.end(), batch, batch + taken);
  }
  napi_value buffer, array;
  void* data = nullptr;
  napi_create_arraybuffer(env, reports.size() * sizeof(AccessReport), &data, &buffer);
  if (!reports.empty()) memcpy(data, reports.data(), reports.size() * sizeof(AccessReport));
  napi_create_typedarray(env, napi_biguint64_array, reports.size() * kReportWords, buffer, 0, &array);
  return Napi::Value(env, array);
}

// startAccessMonitor(starts: BigUint64Array, ends: BigUint64Array, drain: () => void)
//   -> External, or { error: 'unmapped' | 'overlaps' | 'too-many', range } (the range's index)
Napi::Value StartAccessMonitor(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnvData* data = static_cast<EnvData*>(info.Data());
  auto starts = info[0].As<Napi::TypedArrayOf<uint64_t>>();
  auto ends = info[1].As<Napi::TypedArrayOf<uint64_t>>();
  std::vector<MonitorRange> ranges;
  for (size_t i = 0; i < starts.ElementLength(); i++) ranges.push_back({starts[i], ends[i]});
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    ThrowSystemError(env, *data, ENOSYS, "napi_get_uv_event_loop");
    return env.Undefined();
  }
  auto* self = new MonitorBinding();
  self->env = env;
  Closing* closing = new Closing();
  closing->hook = nullptr;
  self->async = &closing->async;
  self->async->data = self;
  if (uv_async_init(loop, self->async, OnAsync) != 0) {
    delete closing;
    delete self;
    ThrowSystemError(env, *data, ENOMEM, "uv_async_init");
    return env.Undefined();
  }
  // The faults of the armed pages must reach the guard's handler: take it back now if anything displaced it
  // (the guard is installed at load; guard_ownership.h keeps it on top from then on).
  GuardReassert();
  const MonitorStartResult started = MonitorStart(ranges, Notify, self->async);
  if (started.monitor == nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(self->async),
             [](uv_handle_t* handle) { delete reinterpret_cast<Closing*>(handle); });
    delete self;
    if (started.error == MonitorError::kSystem) {
      ThrowSystemError(env, *data, started.error_number, started.syscall);
      return env.Undefined();
    }
    Napi::Object failure = Napi::Object::New(env);
    failure.Set("error", started.error == MonitorError::kUnmapped          ? "unmapped"
                         : started.error == MonitorError::kOverlapsMonitor ? "overlaps"
                                                                           : "too-many");
    failure.Set("range", static_cast<double>(started.range));
    return failure;
  }
  self->monitor = started.monitor;
  napi_create_reference(env, info[2], 1, &self->drain);
  napi_value resource_name;
  napi_create_string_utf8(env, "memprobe.AccessMonitor", NAPI_AUTO_LENGTH, &resource_name);
  napi_async_init(env, nullptr, resource_name, &self->async_context);
  napi_add_async_cleanup_hook(env, CleanupMonitor, self, &self->cleanup);
  // Freed once JavaScript lets go of it, which the drain's reference prevents until stop().
  return Napi::External<MonitorBinding>::New(env, self, [](Napi::Env, MonitorBinding* binding) {
    if (binding->cleanup != nullptr) return;  // the environment's hook still owns it
    delete binding;
  });
}

// takeAccessReports(handle) -> BigUint64Array, 7 words per report (access_monitor.h AccessReport)
Napi::Value TakeAccessReports(const Napi::CallbackInfo& info) {
  MonitorBinding* self = Unwrap(info[0]);
  return Reports(info.Env(), self->stopped ? nullptr : self->monitor);
}

// stopAccessMonitor(handle) -> the reports not yet taken; idempotent (later calls return none).
Napi::Value StopAccessMonitor(const Napi::CallbackInfo& info) {
  MonitorBinding* self = Unwrap(info[0]);
  if (self->stopped) return Reports(info.Env(), nullptr);
  if (self->cleanup != nullptr) napi_remove_async_cleanup_hook(self->cleanup);
  self->cleanup = nullptr;
  Stop(self, nullptr);
  Napi::Value remaining = Reports(info.Env(), self->monitor);
  Release(self);
  return remaining;
}

// refAccessMonitor(handle, ref: boolean): whether the monitor keeps its loop alive; nothing once stopped.
Napi::Value RefAccessMonitor(const Napi::CallbackInfo& info) {
  MonitorBinding* self = Unwrap(info[0]);
  if (!self->stopped) {
    auto* handle = reinterpret_cast<uv_handle_t*>(self->async);
    if (info[1].As<Napi::Boolean>().Value()) {
      uv_ref(handle);
    } else {
      uv_unref(handle);
    }
  }
  return info.Env().Undefined();
}

}  // namespace

void InitWatch(Napi::Env env, Napi::Object exports, EnvData* data) {
  ExportFunctions(env, exports, data,
                  {{"startAccessMonitor", StartAccessMonitor},
                   {"takeAccessReports", TakeAccessReports},
                   {"stopAccessMonitor", StopAccessMonitor},
                   {"refAccessMonitor", RefAccessMonitor}});
}

}  // namespace memprobe
