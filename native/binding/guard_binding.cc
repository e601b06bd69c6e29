// N-API surface of the guard: its status, taking it back, the event-loop turns the ownership check counts
// (guard_ownership.h), and test-only hooks (an unguarded access, the handler's exit, V8's trap handler).
#include "binding/bindings.h"

#include <uv.h>

#include "binding/guard_ownership.h"
#include "memory/a64_access_decoder.h"
#include "memory/guard.h"

namespace memprobe {

void CheckGuardOwnershipThisTurn(EnvData* data) {
  data->checked_turn = data->loop_turn;
  data->ownership_checks++;
  GuardReassert();
}

namespace {

// One per environment: a prepare handle on its loop that counts turns. Unref'd, so it never keeps a loop alive.
// Lifecycle: started in InitGuard; the environment's async cleanup hook stops and closes it, and the close
// callback frees it and lets the teardown go on (Node runs the loop until then, so a worker's loop closes
// without an open handle). EnvData outlives it: the pending hook holds the environment.
struct TurnCounter {
  uv_prepare_t handle;
  EnvData* data;
  napi_async_cleanup_hook_handle cleanup;
};

void CountTurn(uv_prepare_t* handle) { static_cast<TurnCounter*>(handle->data)->data->loop_turn++; }

void CloseTurnCounter(napi_async_cleanup_hook_handle, void* arg) {
  TurnCounter* counter = static_cast<TurnCounter*>(arg);
  uv_prepare_stop(&counter->handle);
  uv_close(reinterpret_cast<uv_handle_t*>(&counter->handle), [](uv_handle_t* handle) {
    TurnCounter* closed = static_cast<TurnCounter*>(handle->data);
    napi_remove_async_cleanup_hook(closed->cleanup);
    delete closed;
  });
}

// Where N-API gives no loop or no cleanup hook, no turn ever ends there: that environment checks at its first
// guarded call only.
void StartTurnCounter(napi_env env, EnvData* data) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return;
  TurnCounter* counter = new TurnCounter();
  counter->data = data;
  counter->handle.data = counter;
  if (uv_prepare_init(loop, &counter->handle) != 0) {
    delete counter;
    return;
  }
  uv_prepare_start(&counter->handle, CountTurn);
  uv_unref(reinterpret_cast<uv_handle_t*>(&counter->handle));
  if (napi_add_async_cleanup_hook(env, CloseTurnCounter, counter, &counter->cleanup) != napi_ok) {
    // No way to close it with the environment: never leave it open (a worker's loop must close empty).
    uv_prepare_stop(&counter->handle);
    uv_close(reinterpret_cast<uv_handle_t*>(&counter->handle),
             [](uv_handle_t* handle) { delete static_cast<TurnCounter*>(handle->data); });
  }
}

Napi::Value GuardStatusBinding(const Napi::CallbackInfo& info) {
  const GuardStatus status = GuardGetStatus();
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("installed", status.installed);
  Napi::Object previous = Napi::Object::New(info.Env());
  previous.Set("SIGSEGV", status.previous[0]);
  previous.Set("SIGBUS", status.previous[1]);
  result.Set("previous", previous);
  result.Set("reasserted", static_cast<double>(status.reasserted));
  return result;
}

Napi::Value ReassertGuard(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), GuardReassert());
}

// Test and benchmark hooks (guard.h).
Napi::Value SetGuardFastExit(const Napi::CallbackInfo& info) {
  GuardSetFastExit(info[0].ToBoolean());
  return info.Env().Undefined();
}

// Test hook: one recovered fault with distinctive thread controls (guard.h GuardRecoverOneFault).
Napi::Value RecoverOneFault(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  arch::ControlState set{}, after{};
  const bool recovered = GuardRecoverOneFault(&set, &after);
  const auto describe = [&](const arch::ControlState& state) {
    Napi::Object controls = Napi::Object::New(env);
    arch::ForEachControl(state, [&](const char* name, bool present, uint64_t value) {
      controls.Set(name, present ? Napi::Value(Napi::Number::New(env, static_cast<double>(value))) : env.Null());
    });
    return controls;
  };
  Napi::Object result = Napi::Object::New(env);
  result.Set("recovered", recovered);
  result.Set("fastExitPossible", GuardFastExitPossible());
  result.Set("set", describe(set));
  result.Set("after", describe(after));
  return result;
}

// Benchmark hook: n guarded faults in a row (guard.h GuardRecoverFaults).
Napi::Value RecoverFaults(const Napi::CallbackInfo& info) {
  GuardPrepareThread();
  const uint64_t count = static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value());
  return Napi::Number::New(info.Env(), static_cast<double>(GuardRecoverFaults(count)));
}

Napi::Value UseV8TrapHandler(const Napi::CallbackInfo& info) {
  GuardUseV8TrapHandler(info[0].ToBoolean());
  return info.Env().Undefined();
}

// Test hook: how many ownership checks this environment ran (guard_ownership.h).
Napi::Value OwnershipChecks(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(static_cast<EnvData*>(info.Data())->ownership_checks));
}

// Test hook: a plain load outside any guard, to show that a fault that is not ours still crashes.
Napi::Value TouchUnguarded(const Napi::CallbackInfo& info) {
  bool lossless;
  const auto* p = reinterpret_cast<const volatile uint8_t*>(info[0].As<Napi::BigInt>().Uint64Value(&lossless));
  return Napi::Number::New(info.Env(), *p);
}

// Test hook: a plain store of one byte outside any guard (the chain must tell it is a write: a handler that
// fixes nothing behind a write to a read-only page, which can be read, must still end the process).
Napi::Value StoreUnguarded(const Napi::CallbackInfo& info) {
  bool lossless;
  auto* p = reinterpret_cast<volatile uint8_t*>(info[0].As<Napi::BigInt>().Uint64Value(&lossless));
  *p = static_cast<uint8_t>(info[1].As<Napi::Number>().Uint32Value());
  return info.Env().Undefined();
}

// Test hook: what the A64 load/store decoder (memory/a64_access_decoder.h, which the aarch64 chain falls back on)
// makes of one instruction word, 'read', 'write', 'execute' or 'unknown'. Built everywhere, so its table is tested
// natively too.
Napi::Value DecodeAccess(const Napi::CallbackInfo& info) {
  switch (arch::DecodeA64Access(info[0].As<Napi::Number>().Uint32Value())) {
    case arch::FaultAccess::kRead:
      return Napi::String::New(info.Env(), "read");
    case arch::FaultAccess::kWrite:
      return Napi::String::New(info.Env(), "write");
    case arch::FaultAccess::kExecute:
      return Napi::String::New(info.Env(), "execute");
    case arch::FaultAccess::kUnknown:
      break;
  }
  return Napi::String::New(info.Env(), "unknown");
}

}  // namespace

void InitGuard(Napi::Env env, Napi::Object exports, EnvData* data) {
  StartTurnCounter(env, data);
  ExportFunctions(env, exports, data,
                  {
                      {"guardStatus", GuardStatusBinding},
                      {"reassertGuard", ReassertGuard},
                      {"_setGuardFastExit", SetGuardFastExit},
                      {"_useV8TrapHandler", UseV8TrapHandler},
                      {"_recoverOneFault", RecoverOneFault},
                      {"_recoverFaults", RecoverFaults},
                      {"_touchUnguarded", TouchUnguarded},
                      {"_storeUnguarded", StoreUnguarded},
                      {"_ownershipChecks", OwnershipChecks},
                      {"_decodeAccess", DecodeAccess},
                  });
}

}  // namespace memprobe
