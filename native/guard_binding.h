// Exports the guard's status, its re-assertion, and a test-only unguarded access.
#pragma once

#include <napi.h>

#include "binding_support.h"

namespace memprobe {

void InitGuard(Napi::Env env, Napi::Object exports, EnvData* data);

}  // namespace memprobe
