// The binding layer: the only files that know N-API. Each Init* adds one area's exports; addon.cc calls them.
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

}  // namespace memprobe
