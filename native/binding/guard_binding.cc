// N-API surface of the guard: its status, taking it back, and test-only hooks (an unguarded access, the
// handler's exit, V8's trap handler).
#include "binding/bindings.h"

#include "memory/guard.h"

namespace memprobe {

namespace {

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

Napi::Value UseV8TrapHandler(const Napi::CallbackInfo& info) {
  GuardUseV8TrapHandler(info[0].ToBoolean());
  return info.Env().Undefined();
}

// Test hook: a plain load outside any guard, to show that a fault that is not ours still crashes.
Napi::Value TouchUnguarded(const Napi::CallbackInfo& info) {
  bool lossless;
  const auto* p = reinterpret_cast<const volatile uint8_t*>(info[0].As<Napi::BigInt>().Uint64Value(&lossless));
  return Napi::Number::New(info.Env(), *p);
}

}  // namespace

void InitGuard(Napi::Env env, Napi::Object exports, EnvData* data) {
  ExportFunctions(env, exports, data,
                  {
                      {"guardStatus", GuardStatusBinding},
                      {"reassertGuard", ReassertGuard},
                      {"_setGuardFastExit", SetGuardFastExit},
                      {"_useV8TrapHandler", UseV8TrapHandler},
                      {"_touchUnguarded", TouchUnguarded},
                  });
}

}  // namespace memprobe
