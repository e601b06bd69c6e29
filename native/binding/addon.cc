// The addon's entry point: wires each area's exports and owns the per-environment data. Nothing else.
#include <napi.h>

#include <string.h>

#include <mutex>
#include <string>

#include "memory/guard.h"
#include "binding/bindings.h"
#include "memory/stack_gap.h"

namespace memprobe {

namespace {

Napi::Value SetSystemErrorClass(const Napi::CallbackInfo& info) {
  static_cast<EnvData*>(info.Data())->system_error_class = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

// systemError(syscall, errno, pid?, path?): the SystemError of a call made in JavaScript (an fs open of a /proc
// file), described as the addon's own are (the C library's words), so one errno reads the same whoever reports it.
Napi::Value SystemErrorBinding(const Napi::CallbackInfo& info) {
  const std::string syscall = info[0].As<Napi::String>().Utf8Value();
  const int pid = info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : 0;
  const std::string path = info[3].IsString() ? info[3].As<Napi::String>().Utf8Value() : std::string();
  const napi_value error =
      MakeSystemError(info.Env(), *static_cast<EnvData*>(info.Data()), info[1].As<Napi::Number>().Int32Value(),
                      syscall.c_str(), pid, info[3].IsString() ? path.c_str() : nullptr);
  return error == nullptr ? info.Env().Undefined() : Napi::Value(info.Env(), error);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  static std::once_flag process_setup;
  std::call_once(process_setup, StackGapInit);
  const int error = GuardInstall();
  if (error != 0) {
    Napi::Error::New(env, std::string("memprobe: cannot install the SIGSEGV/SIGBUS handler: ") + strerror(error))
        .ThrowAsJavaScriptException();
    return exports;
  }
  EnvData* data = new EnvData();
  env.SetInstanceData<EnvData>(data);  // deleted with the environment
  exports.Set("setSystemErrorClass", Napi::Function::New(env, SetSystemErrorClass, "setSystemErrorClass", data));
  exports.Set("systemError", Napi::Function::New(env, SystemErrorBinding, "systemError", data));
  InitCopy(env, exports, data);
  InitPages(env, exports, data);
  InitGuard(env, exports, data);
  InitSignals(env, exports, data);
  InitProbe(env, exports, data);
  InitInspect(env, exports, data);
  InitWatch(env, exports, data);
  InitExit(env, exports, data);
  InitTrackWrites(env, exports, data);
  return exports;
}

}  // namespace

}  // namespace memprobe

static Napi::Object InitMemprobe(Napi::Env env, Napi::Object exports) { return memprobe::Init(env, exports); }
NODE_API_MODULE(NODE_GYP_MODULE_NAME, InitMemprobe)
