// exitNow(status): ends the process at once with `status`, through _exit: no exit handlers, no teardown of Node's
// platform. For the memprobe command only, after it has written everything (process.stdout and stderr write
// synchronously on Linux, to files, pipes and terminals alike).
//
// Why: Node 20 can hang for good when a command's event loop runs dry while V8 optimizes a function on a
// background thread that then needs a garbage collection. The main thread waits in NodePlatform::DrainTasks (and
// at process.exit, in the platform's shutdown) for that job, the job for the main thread to collect
// (nodejs/node#54918). A command that runs hot for a moment and then ends is exactly that moment. No
// JavaScript-side setting avoids it: V8's concurrent-recompilation flag is read when the isolate is created.
#include <napi.h>

#include <unistd.h>

#include "binding/bindings.h"

namespace memprobe {

namespace {

Napi::Value ExitNow(const Napi::CallbackInfo& info) {
  _exit(info[0].As<Napi::Number>().Int32Value());
}

}  // namespace

void InitExit(Napi::Env env, Napi::Object exports, EnvData* data) {
  exports.Set("exitNow", Napi::Function::New(env, ExitNow, "exitNow", data));
}

}  // namespace memprobe
