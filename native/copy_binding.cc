// N-API surface of the copy: synchronous, on the threadpool, and from another process.
//
// The synchronous copy is the hot path, so it is raw N-API, specialised at compile time for each strategy and
// kind of argument (lib picks the function from `copiers`), and it returns `undefined` when every byte was
// copied, or a small status: a fault (details in the environment's fault-state buffer; building an object here
// would cost more than the copy), or an argument this layer refused before touching any memory. Argument
// checks that need the view's length live here rather than in lib/memory.ts for the same reason: N-API has
// to read it anyway.
#include <cmath>
#include <utility>

#include "bindings.h"
#include "copy.h"
#include "syscall_copy.h"

namespace memprobe {

namespace {

// --- the contract with lib/native.ts, exported as constants so both sides read one definition ---

enum Side : int32_t { kDst = 0, kSrc = 1 };

// A status is a base plus the side it concerns.
enum CopyStatus : int32_t {
  kStatusFault = 1,
  kStatusWrongType = 2,     // + side: not an ArrayBufferView or ArrayBuffer (for kind "view")
  kStatusBadAddress = 4,    // + side: a bigint beyond 2^64 - 1 or negative, or a number that is not a safe integer
  kStatusWraps = 6,         // + side: address + length past 2^64
  kStatusTooShort = 8,      // + side: length beyond the JavaScript-owned memory
};

enum ArgumentKind : int { kKindView = 0, kKindBigInt = 1, kKindNumber = 2 };
constexpr int kKinds = 3;

// Index into `copiers` / `asyncCopiers`.
constexpr int CopierIndex(Strategy strategy, int dst_kind, int src_kind) {
  return static_cast<int>(strategy) * kKinds * kKinds + dst_kind * kKinds + src_kind;
}
constexpr int kCopiers = 2 * kKinds * kKinds;

// Slots (8 bytes each) of a fault-state buffer.
enum FaultSlot : int { kSlotBytesCopied = 0, kSlotKind, kSlotSignal, kSlotAccess, kSlotAddress, kSlotCount };

// --- argument decoding, before any memory is touched ---

constexpr double kMaxSafeInteger = 9007199254740991.0;

template <int kKind>
inline int32_t ReadEndpoint(napi_env env, napi_value value, size_t length, Side side, Endpoint* out) {
  if (kKind == kKindView) {
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
  if (kKind == kKindBigInt) {
    bool lossless = false;
    if (napi_get_value_bigint_uint64(env, value, &address, &lossless) != napi_ok) return kStatusWrongType + side;
    if (!lossless) return kStatusBadAddress + side;
  } else {
    double number = -1;
    if (napi_get_value_double(env, value, &number) != napi_ok) return kStatusWrongType + side;
    if (!(number >= 0 && number <= kMaxSafeInteger) || std::trunc(number) != number) return kStatusBadAddress + side;
    address = static_cast<uint64_t>(number);
  }
  if (length > 0 && address + (length - 1) < address) return kStatusWraps + side;
  *out = Endpoint{static_cast<uintptr_t>(address), false};
  return 0;
}

// (dst, src, length, ...) -> request; 0 or the status of the first bad argument.
template <int kIndex>
inline int32_t DecodeRequest(napi_env env, const napi_value* argv, CopyRequest* request) {
  constexpr int kDstKind = (kIndex / kKinds) % kKinds;
  constexpr int kSrcKind = kIndex % kKinds;
  double length = 0;
  napi_get_value_double(env, argv[2], &length);  // lib checked: a non-negative safe integer
  request->length = static_cast<size_t>(length);
  request->strategy = static_cast<Strategy>(kIndex / (kKinds * kKinds));
  const int32_t status = ReadEndpoint<kDstKind>(env, argv[0], request->length, kDst, &request->dst);
  if (status != 0) return status;
  return ReadEndpoint<kSrcKind>(env, argv[1], request->length, kSrc, &request->src);
}

void WriteFault(double* slots, const CopyFailure& failure) {
  slots[kSlotBytesCopied] = static_cast<double>(failure.bytes_copied);
  slots[kSlotKind] = static_cast<double>(failure.fault.kind);
  slots[kSlotSignal] = failure.fault.signo;
  slots[kSlotAccess] = static_cast<double>(failure.fault.access);
  reinterpret_cast<uint64_t*>(slots)[kSlotAddress] = failure.fault.address;
}

napi_value Int32(napi_env env, int32_t value) {
  napi_value result;
  napi_create_int32(env, value, &result);
  return result;
}

// What a finished synchronous copy returns: undefined, a fault status (details in the fault-state buffer),
// or a thrown SystemError.
napi_value Report(napi_env env, const EnvData& env_data, bool copied, const CopyFailure& failure) {
  if (copied) return nullptr;
  if (failure.error != 0) {
    ThrowSystemError(env, env_data, failure.error, failure.syscall);
    return nullptr;
  }
  WriteFault(env_data.fault_slots, failure);
  return Int32(env, kStatusFault);
}

// copiers[i](dst, src, length) -> undefined | status
template <int kIndex>
napi_value Copy(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  void* data;
  napi_get_cb_info(env, info, &argc, argv, nullptr, &data);
  CopyRequest request;
  const int32_t status = DecodeRequest<kIndex>(env, argv, &request);
  if (status != 0) return Int32(env, status);
  CopyFailure failure;
  const bool copied = CopyMemory(request, &failure);
  return Report(env, *static_cast<const EnvData*>(data), copied, failure);
}

// processReaders[srcKind](dst, src, length, pid) -> undefined | status: process_vm_readv on `pid` into a view.
template <int kIndex>
napi_value ReadProcessSync(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  void* data;
  napi_get_cb_info(env, info, &argc, argv, nullptr, &data);
  int32_t pid = 0;
  napi_get_value_int32(env, argv[3], &pid);
  CopyRequest request;
  const int32_t status = DecodeRequest<kIndex>(env, argv, &request);
  if (status != 0) return Int32(env, status);
  CopyFailure failure;
  const bool copied =
      ReadProcess(pid, reinterpret_cast<uint8_t*>(request.dst.address), request.src.address, request.length, &failure);
  return Report(env, *static_cast<const EnvData*>(data), copied, failure);
}

// --- the copy on the libuv threadpool ---

// Lifecycle: created and queued on the JS thread; Execute runs the copy on a pool thread and touches no
// N-API; Complete (JS thread) writes a fault into the job's own state buffer, settles the promise with the
// status (0 for success) and frees everything. The references keep JavaScript-owned memory alive until then.
struct CopyJob {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  EnvData* env_data = nullptr;
  CopyRequest request{};
  pid_t pid = 0;  // 0: CopyMemory; otherwise ReadProcess on this pid
  bool copied = false;
  CopyFailure failure{};
  napi_ref keep_alive[3] = {nullptr, nullptr, nullptr};  // dst, src (when objects), state buffer
  double* state_slots = nullptr;
};

void ExecuteCopyJob(napi_env, void* data) {
  CopyJob& job = *static_cast<CopyJob*>(data);
  job.copied = job.pid != 0 ? ReadProcess(job.pid, reinterpret_cast<uint8_t*>(job.request.dst.address),
                                          job.request.src.address, job.request.length, &job.failure)
                            : CopyMemory(job.request, &job.failure);
}

void CompleteCopyJob(napi_env env, napi_status, void* data) {
  CopyJob* job = static_cast<CopyJob*>(data);
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  if (!job->copied && job->failure.error != 0) {
    napi_reject_deferred(env, job->deferred,
                         MakeSystemError(env, *job->env_data, job->failure.error, job->failure.syscall));
  } else {
    if (!job->copied) WriteFault(job->state_slots, job->failure);
    napi_resolve_deferred(env, job->deferred, Int32(env, job->copied ? 0 : kStatusFault));
  }
  for (napi_ref ref : job->keep_alive) {
    if (ref != nullptr) napi_delete_reference(env, ref);
  }
  napi_delete_async_work(env, job->work);
  napi_close_handle_scope(env, scope);
  delete job;
}

napi_ref KeepAlive(napi_env env, napi_value value) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  if (type != napi_object) return nullptr;
  napi_ref ref = nullptr;
  napi_create_reference(env, value, 1, &ref);
  return ref;
}

// asyncCopiers[i](dst, src, length, stateBuffer, pid) -> Promise<status> | status (a bad argument);
// pid 0 means this process.
template <int kIndex>
napi_value CopyAsync(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  void* data;
  napi_get_cb_info(env, info, &argc, argv, nullptr, &data);
  CopyRequest request;
  const int32_t status = DecodeRequest<kIndex>(env, argv, &request);
  if (status != 0) return Int32(env, status);
  CopyJob* job = new CopyJob();
  job->env_data = static_cast<EnvData*>(data);
  job->request = request;
  int32_t pid = 0;
  napi_get_value_int32(env, argv[4], &pid);
  job->pid = pid;
  void* state = nullptr;
  napi_get_arraybuffer_info(env, argv[3], &state, nullptr);
  job->state_slots = static_cast<double*>(state);
  job->keep_alive[0] = KeepAlive(env, argv[0]);
  job->keep_alive[1] = KeepAlive(env, argv[1]);
  job->keep_alive[2] = KeepAlive(env, argv[3]);
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "memprobe.copy", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, nullptr, name, ExecuteCopyJob, CompleteCopyJob, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

// --- export ---

template <template <int> class Entry, int... kIndices>
Napi::Array FunctionTable(Napi::Env env, EnvData* data, const char* name, std::integer_sequence<int, kIndices...>) {
  Napi::Array table = Napi::Array::New(env, sizeof...(kIndices));
  napi_callback callbacks[] = {Entry<kIndices>::kCallback...};
  for (uint32_t i = 0; i < sizeof...(kIndices); i++) {
    napi_value function;
    napi_create_function(env, name, NAPI_AUTO_LENGTH, callbacks[i], data, &function);
    table.Set(i, function);
  }
  return table;
}

template <int kIndex>
struct CopyEntry {
  static constexpr napi_callback kCallback = Copy<kIndex>;
};
template <int kIndex>
struct CopyAsyncEntry {
  static constexpr napi_callback kCallback = CopyAsync<kIndex>;
};
// Indexed by the source kind: the destination is always a view and the strategy always syscall.
template <int kSrcKind>
struct ReadProcessEntry {
  static constexpr napi_callback kCallback = ReadProcessSync<CopierIndex(Strategy::kSyscall, kKindView, kSrcKind)>;
};

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

  exports.Set("copiers", FunctionTable<CopyEntry>(env, data, "copy", std::make_integer_sequence<int, kCopiers>()));
  exports.Set("asyncCopiers",
              FunctionTable<CopyAsyncEntry>(env, data, "copyAsync", std::make_integer_sequence<int, kCopiers>()));
  exports.Set("processReaders",
              FunctionTable<ReadProcessEntry>(env, data, "readProcess", std::make_integer_sequence<int, kKinds>()));

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
  exports.Set("copierIndex", Constants(env, {{"syscall", CopierIndex(Strategy::kSyscall, 0, 0)},
                                             {"dst", kKinds},
                                             {"view", kKindView},
                                             {"bigint", kKindBigInt},
                                             {"number", kKindNumber}}));
}

}  // namespace memprobe
