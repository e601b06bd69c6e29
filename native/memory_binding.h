// Exports the copy, its async variant, addressOf and the page fixtures to JavaScript.
#pragma once

#include <napi.h>

#include "binding_support.h"

namespace memprobe {

void InitMemory(Napi::Env env, Napi::Object exports, EnvData* data);

}  // namespace memprobe
