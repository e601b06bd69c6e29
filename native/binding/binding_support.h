// Shared by the binding files (the only files that know N-API): per-environment data and the one way
// system-call failures become JavaScript errors.
#pragma once

#include <napi.h>

#include <initializer_list>

#include "common/system_call.h"

namespace memprobe {

// One per Node environment (the main thread and each worker), owned by the environment.
struct EnvData {
  Napi::Reference<Napi::ArrayBuffer> fault_state;  // where the synchronous copy writes its outcome
  double* fault_slots = nullptr;                   // fault_state's bytes, slot by slot
  Napi::FunctionReference system_error_class;      // lib/errors.ts SystemError, handed over once at load
};

// Throws `new SystemError(syscall, code, errno, description[, pid])` in the environment. `pid` (0: none) is the
// process a call was aimed at (process_vm_readv/writev); the message then names it and the likely cause.
void ThrowSystemError(Napi::Env env, const EnvData& data, int error, const char* syscall, int pid = 0);
// Throws the SystemError a failed wrapper call stands for; returns whether it failed.
bool ThrowIfFailed(Napi::Env env, const EnvData& data, const SystemCallResult& result);
Napi::Value MakeSystemError(Napi::Env env, const EnvData& data, int error, const char* syscall, int pid = 0);

// One function a binding file exports, named as JavaScript sees it.
struct ExportedFunction {
  const char* name;
  Napi::Value (*function)(const Napi::CallbackInfo&);
};
// Sets each on `exports`, with the environment's data as the callback data.
void ExportFunctions(Napi::Env env, Napi::Object exports, EnvData* data, std::initializer_list<ExportedFunction> functions);

}  // namespace memprobe
