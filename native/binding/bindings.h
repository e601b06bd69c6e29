// The binding layer: the only files that know N-API. Each Init* adds one area's exports; addon.cc calls them.
//
// The folder native/binding/ may never: hold logic of its own beyond decoding arguments and building results
// (the plain C++ beneath does the work), touch env or JavaScript values from the threadpool (AsyncJob's Execute
// sees only its baton), or settle a promise in an environment that is being torn down (AsyncJob checks first).
#pragma once

#include <napi.h>

#include "binding/binding_support.h"

namespace memprobe {

void InitCopy(Napi::Env env, Napi::Object exports, EnvData* data);   // copy_binding.cc
void InitPages(Napi::Env env, Napi::Object exports, EnvData* data);  // pages_binding.cc
void InitGuard(Napi::Env env, Napi::Object exports, EnvData* data);  // guard_binding.cc
void InitSignals(Napi::Env env, Napi::Object exports, EnvData* data);  // signals_binding.cc
void InitProbe(Napi::Env env, Napi::Object exports, EnvData* data);    // probe_binding.cc
void InitInspect(Napi::Env env, Napi::Object exports, EnvData* data);  // inspect_binding.cc
void InitWatch(Napi::Env env, Napi::Object exports, EnvData* data);    // watch_binding.cc
void InitExit(Napi::Env env, Napi::Object exports, EnvData* data);     // exit_binding.cc
void InitTrackWrites(Napi::Env env, Napi::Object exports, EnvData* data);  // track_writes_binding.cc

}  // namespace memprobe
