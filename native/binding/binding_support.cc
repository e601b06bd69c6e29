#include "binding/binding_support.h"

#include <string.h>

namespace memprobe {

Napi::Value MakeSystemError(Napi::Env env, const EnvData& data, int error, const char* syscall, int pid) {
  const char* name = strerrorname_np(error);
  const char* description = strerrordesc_np(error);
  return data.system_error_class.New({Napi::String::New(env, syscall), Napi::String::New(env, name ? name : "UNKNOWN"),
                                      Napi::Number::New(env, error),
                                      Napi::String::New(env, description ? description : "unknown error"),
                                      pid != 0 ? Napi::Number::New(env, pid) : env.Undefined()});
}

bool ThrowIfFailed(Napi::Env env, const EnvData& data, const SystemCallResult& result) {
  if (result.error == 0) return false;
  ThrowSystemError(env, data, result.error, result.syscall);
  return true;
}

void ThrowSystemError(Napi::Env env, const EnvData& data, int error, const char* syscall, int pid) {
  const Napi::Value exception = MakeSystemError(env, data, error, syscall, pid);
  if (!exception.IsEmpty()) napi_throw(env, exception);
}

void ExportFunctions(Napi::Env env, Napi::Object exports, EnvData* data, std::initializer_list<ExportedFunction> functions) {
  for (const ExportedFunction& entry : functions) exports.Set(entry.name, Napi::Function::New(env, entry.function, entry.name, data));
}

}  // namespace memprobe
