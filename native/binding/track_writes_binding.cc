// N-API surface of write tracking (native/watch/write_tracking.h): start a tracker by mechanism name, ask it which
// pages were written, reset it, stop it. lib/watch/track-writes.ts has checked every argument.
#include <string>

#include "binding/bindings.h"
#include "watch/write_tracking.h"

namespace memprobe {

namespace {

// What a tracker handle (an External) holds: empty once stopped; the finalizer stops it if JavaScript never did.
struct TrackerHolder {
  std::unique_ptr<WriteTracking> tracking;
};

const char* FailureName(TrackingFailure kind) {
  switch (kind) {
    case TrackingFailure::kUnavailable:
      return "unavailable";
    case TrackingFailure::kUnsupportedMemory:
      return "unsupported-memory";
    case TrackingFailure::kSystemCall:
    case TrackingFailure::kNone:
      break;
  }
  return "system-call";
}

// { failure: 'unavailable' | 'unsupported-memory' | 'system-call', reason, systemError? }: lib/ builds the error.
Napi::Object FailureObject(const Napi::CallbackInfo& info, const TrackingError& error) {
  Napi::Object failure = Napi::Object::New(info.Env());
  failure.Set("failure", FailureName(error.kind));
  failure.Set("reason", error.reason);
  if (error.syscall != nullptr && error.error != 0) {
    const napi_value system_error =
        MakeSystemError(info.Env(), *static_cast<EnvData*>(info.Data()), error.error, error.syscall);
    if (system_error != nullptr) failure.Set("systemError", Napi::Value(info.Env(), system_error));
  }
  return failure;
}

uint64_t BigIntArgument(const Napi::Value& value) {
  bool lossless;
  return value.As<Napi::BigInt>().Uint64Value(&lossless);
}

TrackerHolder* Holder(const Napi::Value& value) { return value.As<Napi::External<TrackerHolder>>().Data(); }

// startWriteTracking(mechanism, start, end) -> a handle, or a failure object
Napi::Value StartWriteTracking(const Napi::CallbackInfo& info) {
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  for (const TrackingMechanism& mechanism : TrackingMechanisms()) {
    if (name != mechanism.name) continue;
    TrackingError error;
    std::unique_ptr<WriteTracking> tracking = mechanism.start(BigIntArgument(info[1]), BigIntArgument(info[2]), &error);
    if (tracking == nullptr) return FailureObject(info, error);
    return Napi::External<TrackerHolder>::New(info.Env(), new TrackerHolder{std::move(tracking)},
                                              [](Napi::Env, TrackerHolder* holder) { delete holder; });
  }
  Napi::TypeError::New(info.Env(), "memprobe: unknown write-tracking mechanism " + name).ThrowAsJavaScriptException();
  return info.Env().Undefined();
}

// writtenPages(handle) -> BigUint64Array [start0, end0, start1, end1, ...], or a failure object
Napi::Value WrittenPages(const Napi::CallbackInfo& info) {
  std::vector<PageSpan> spans;
  TrackingError error;
  if (!Holder(info[0])->tracking->Written(&spans, &error)) return FailureObject(info, error);
  Napi::BigUint64Array array = Napi::BigUint64Array::New(info.Env(), spans.size() * 2, napi_biguint64_array);
  for (size_t i = 0; i < spans.size(); i++) {
    array[2 * i] = spans[i].start;
    array[2 * i + 1] = spans[i].end;
  }
  return array;
}

// resetWriteTracking(handle) -> undefined, or a failure object
Napi::Value ResetWriteTracking(const Napi::CallbackInfo& info) {
  TrackingError error;
  if (!Holder(info[0])->tracking->Reset(&error)) return FailureObject(info, error);
  return info.Env().Undefined();
}

// stopWriteTracking(handle): undoes the tracker's kernel state now (lib/ calls it once).
Napi::Value StopWriteTracking(const Napi::CallbackInfo& info) {
  Holder(info[0])->tracking.reset();
  return info.Env().Undefined();
}

}  // namespace

void InitTrackWrites(Napi::Env env, Napi::Object exports, EnvData* data) {
  ExportFunctions(env, exports, data,
                  {
                      {"startWriteTracking", StartWriteTracking},
                      {"writtenPages", WrittenPages},
                      {"resetWriteTracking", ResetWriteTracking},
                      {"stopWriteTracking", StopWriteTracking},
                  });
  Napi::Array names = Napi::Array::New(env);
  for (const TrackingMechanism& mechanism : TrackingMechanisms()) names.Set(names.Length(), mechanism.name);
  exports.Set("writeTrackingMechanisms", names);
}

}  // namespace memprobe
