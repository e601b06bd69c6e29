// N-API surface of the copy: synchronous, on the threadpool, and from another process.
//
// The synchronous copy is the hot path, so it is raw N-API, one function per strategy and kind of argument
// (`copiers[selector]`, specialised at compile time; lib/memory/copy.ts calls each strategy from its own call site,
// since V8 calls a monomorphic API function directly and a polymorphic one through a slower generic path).
// It returns `undefined` when every byte was copied, or a small status: a fault (details in the environment's fault-state buffer; building an object here
// would cost more than the copy), or an argument this layer refused before touching any memory. Argument
// checks that need the view's length live here rather than in lib/memory/copy.ts for the same reason: N-API has
// to read it anyway.
#include <unistd.h>

#include <utility>

#include "binding/bindings.h"
#include "binding/guard_ownership.h"
#include "memory/copy.h"
#include "memory/guard.h"

namespace memprobe {

namespace {

// --- the contract with lib/common/native.ts, exported as constants so both sides read one definition ---

// A status is a base plus the side it concerns. Plain integers, not enums: C++20 (Node 24's headers) deprecates
// arithmetic between two enumeration types.
using Side = int32_t;
constexpr Side kDst = 0;
constexpr Side kSrc = 1;

constexpr int32_t kStatusFault = 1;
constexpr int32_t kStatusWrongType = 2;   // + side: not an ArrayBufferView or ArrayBuffer (for kind "view")
constexpr int32_t kStatusBadAddress = 4;  // + side: a bigint beyond 2^64 - 1 or negative, or a number that is not a safe integer
constexpr int32_t kStatusWraps = 6;       // + side: address + length past 2^64
constexpr int32_t kStatusTooShort = 8;    // + side: length beyond the JavaScript-owned memory

// A view (or ArrayBuffer) JavaScript owns, or a raw address (a bigint or a number).
enum ArgumentKind : uint32_t { kKindView = 0, kKindAddress = 1 };

// selector = strategy * kStrategyStep + dst kind * 2 + src kind
constexpr uint32_t kStrategyStep = 4;
constexpr uint32_t kSelectors = 2 * kStrategyStep;

// --- argument decoding, before any memory is touched ---

inline int32_t ReadEndpoint(napi_env env, napi_value value, uint32_t kind, size_t length, Side side, Endpoint* out) {
  if (kind == kKindView) {
    void* data = nullptr;
    size_t byte_length = 0;
    if (napi_get_buffer_info(env, value, &data, &byte_length) != napi_ok &&
        napi_get_arraybuffer_info(env, value, &data, &byte_length) != napi_ok) {
      return kStatusWrongType + side;
    }
    if (length > byte_length) return kStatusTooShort + side;
    *out = Endpoint{reinterpret_cast<uintptr_t>(data), true};
    return 0;
  }
  uint64_t address = 0;
  switch (DecodeAddress(env, value, length, &address)) {
    case AddressArgument::kOk:
      *out = Endpoint{static_cast<uintptr_t>(address), false};
      return 0;
    case AddressArgument::kWrongType:
      return kStatusWrongType + side;
    case AddressArgument::kOutOfRange:
      return kStatusBadAddress + side;
    case AddressArgument::kWraps:
      break;
  }
  return kStatusWraps + side;
}

// (dst, src, length) -> request; 0 or the status of the first bad argument. Inlined with a constant selector
// into each specialised copier.
inline int32_t DecodeRequest(napi_env env, const napi_value* argv, uint32_t selector, CopyRequest* request) {
  double length = 0;
  napi_get_value_double(env, argv[2], &length);  // lib checked: a non-negative safe integer
  request->length = static_cast<size_t>(length);
  request->strategy = selector >= kStrategyStep ? Strategy::kSyscall : Strategy::kSignal;
  request->pid = 0;
  const int32_t status = ReadEndpoint(env, argv[0], (selector >> 1) & 1, request->length, kDst, &request->dst);
  if (status != 0) return status;
  return ReadEndpoint(env, argv[1], selector & 1, request->length, kSrc, &request->src);
}

// The slower entry points (async, another process) take (dst, src, length, selector, ..., pid): the selector
// as an argument, and the pid at `pid_index`.
int32_t DecodeRequestWithPid(napi_env env, const napi_value* argv, size_t pid_index, CopyRequest* request) {
  uint32_t selector = 0;
  napi_get_value_uint32(env, argv[3], &selector);
  const int32_t status = DecodeRequest(env, argv, selector % kSelectors, request);
  if (status == 0) napi_get_value_int32(env, argv[pid_index], &request->pid);
  return status;
}

// The process a failed copy's system call was aimed at: a copy fails (rather than faults) only in
// process_vm_readv/writev, which the syscall strategy aims at this process.
int TargetPid(const CopyRequest& request) { return request.pid != 0 ? request.pid : getpid(); }

napi_value Int32(napi_env env, int32_t value) {
  napi_value result;
  napi_create_int32(env, value, &result);
  return result;
}

// Runs a synchronous copy and returns undefined, a fault status (details in the fault-state buffer), or
// throws a SystemError.
napi_value CopyAndReport(napi_env env, const EnvData& env_data, const CopyRequest& request) {
  CopyFailure failure;
  if (CopyMemory(request, &failure)) return nullptr;
  if (failure.error != 0) {
    ThrowSystemError(env, env_data, failure.error, failure.syscall, TargetPid(request));
    return nullptr;
  }
  WriteFault(env_data.fault_slots, failure);
  return Int32(env, kStatusFault);
}

// copiers[selector](dst, src, length) -> undefined | status
template <uint32_t kSelector>
napi_value Copy(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  void* data;
  napi_get_cb_info(env, info, &argc, argv, nullptr, &data);
  CopyRequest request;
  const int32_t status = DecodeRequest(env, argv, kSelector, &request);
  if (status != 0) return Int32(env, status);
  EnvData* env_data = static_cast<EnvData*>(data);
  if constexpr (kSelector < kStrategyStep) CheckGuardOwnership(env_data);  // the signal strategy is guarded
  return CopyAndReport(env, *env_data, request);
}

// copyProcess(dst, src, length, selector, pid) -> undefined | status: process_vm_readv from `pid` into a view,
// or process_vm_writev from a view into `pid` (the selector says which side is the view).
napi_value CopyProcessSync(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  void* data;
  napi_get_cb_info(env, info, &argc, argv, nullptr, &data);
  CopyRequest request;
  const int32_t status = DecodeRequestWithPid(env, argv, 4, &request);
  if (status != 0) return Int32(env, status);
  return CopyAndReport(env, *static_cast<const EnvData*>(data), request);
}

// --- the copy on the libuv threadpool ---

// An AsyncJob (binding_support.h): Execute runs the copy on a pool thread; Settle writes a fault into the job's
// own state buffer and resolves with the status (0 for success), or rejects with a SystemError. The job keeps
// JavaScript-owned memory (dst, src, the state buffer) alive until then.
class CopyJob : public AsyncJob {
 public:
  CopyJob(const EnvData* env_data, const CopyRequest& request, double* state_slots)
      : env_data_(env_data), request_(request), state_slots_(state_slots) {}

 protected:
  void Execute() override {
    // Before each asynchronous guarded copy, make sure no handler installed since displaced the guard.
    if (request_.strategy == Strategy::kSignal && request_.pid == 0) GuardReassert();
    copied_ = CopyMemory(request_, &failure_);
  }

  napi_value Settle(napi_env env, bool* rejected) override {
    if (!copied_ && failure_.error != 0) {
      *rejected = true;
      return MakeSystemError(env, *env_data_, failure_.error, failure_.syscall, TargetPid(request_));
    }
    if (!copied_) WriteFault(state_slots_, failure_);
    napi_value status;
    return napi_create_int32(env, copied_ ? 0 : kStatusFault, &status) == napi_ok ? status : nullptr;
  }

 private:
  const EnvData* env_data_;
  CopyRequest request_;
  double* state_slots_;
  bool copied_ = false;
  CopyFailure failure_{};
};

// copyAsync(dst, src, length, selector, stateBuffer, pid) -> Promise<status> | status (a bad argument);
// pid 0 means this process.
napi_value CopyAsync(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  void* data;
  napi_get_cb_info(env, info, &argc, argv, nullptr, &data);
  CopyRequest request;
  const int32_t status = DecodeRequestWithPid(env, argv, 5, &request);
  if (status != 0) return Int32(env, status);
  void* state = nullptr;
  napi_get_arraybuffer_info(env, argv[4], &state, nullptr);
  CopyJob* job = new CopyJob(static_cast<const EnvData*>(data), request, static_cast<double*>(state));
  job->KeepAlive(env, argv[0]);
  job->KeepAlive(env, argv[1]);
  job->KeepAlive(env, argv[4]);
  return job->Start(env, "memprobe.copy");
}

// --- export ---

template <uint32_t... kSelector>
Napi::Array Copiers(Napi::Env env, EnvData* data, std::integer_sequence<uint32_t, kSelector...>) {
  const napi_callback callbacks[] = {Copy<kSelector>...};
  Napi::Array copiers = Napi::Array::New(env, sizeof...(kSelector));
  for (uint32_t i = 0; i < sizeof...(kSelector); i++) {
    napi_value function;
    napi_create_function(env, "copy", NAPI_AUTO_LENGTH, callbacks[i], data, &function);
    copiers.Set(i, function);
  }
  return copiers;
}

Napi::Object Constants(Napi::Env env, std::initializer_list<std::pair<const char*, double>> entries) {
  Napi::Object object = Napi::Object::New(env);
  for (const auto& entry : entries) object.Set(entry.first, Napi::Number::New(env, entry.second));
  return object;
}

}  // namespace

void InitCopy(Napi::Env env, Napi::Object exports, EnvData* data) {
  Napi::ArrayBuffer state = Napi::ArrayBuffer::New(env, kSlotCount * sizeof(double));
  data->fault_state = Napi::Persistent(state);
  data->fault_slots = static_cast<double*>(state.Data());
  exports.Set("faultState", state);

  ExportRaw(env, exports, "copyAsync", CopyAsync, data);
  ExportRaw(env, exports, "copyProcess", CopyProcessSync, data);

  Napi::Array kinds = Napi::Array::New(env);
  for (uint32_t i = 0; i < sizeof kFaultKindNames / sizeof kFaultKindNames[0]; i++) {
    kinds.Set(i, Napi::String::New(env, kFaultKindNames[i]));
  }
  exports.Set("faultKinds", kinds);
  exports.Set("faultSlots", Constants(env, {{"bytesCopied", kSlotBytesCopied},
                                            {"kind", kSlotKind},
                                            {"signal", kSlotSignal},
                                            {"access", kSlotAccess},
                                            {"address", kSlotAddress},
                                            {"count", kSlotCount}}));
  exports.Set("copyStatus", Constants(env, {{"fault", kStatusFault},
                                            {"wrongType", kStatusWrongType},
                                            {"badAddress", kStatusBadAddress},
                                            {"wraps", kStatusWraps},
                                            {"tooShort", kStatusTooShort}}));
  exports.Set("copiers", Copiers(env, data, std::make_integer_sequence<uint32_t, kSelectors>()));
  exports.Set("selector", Constants(env, {{"syscall", kStrategyStep}, {"dst", 2}, {"view", kKindView}, {"address", kKindAddress}}));
}

}  // namespace memprobe
