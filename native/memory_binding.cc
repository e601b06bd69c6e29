// N-API surface of the copy and the page fixtures. Arguments were validated in lib/memory.ts; this layer only
// re-checks what keeps native code from writing past JavaScript memory. The synchronous copy is raw N-API and
// returns a small status, with the details in a shared buffer: building an object here would cost more than
// the copy.
#include "memory_binding.h"

#include <sys/mman.h>
#include <unistd.h>

#include "copy.h"
#include "machine.h"
#include "pages.h"
#include "syscall_copy.h"

namespace memprobe {

namespace {

// --- the contract with lib/native.ts, exported as constants so both sides read one definition ---

enum CopyStatus : int32_t {
  kStatusOk = 0,
  kStatusFault = 1,
  kStatusDstAddressTooLarge = 2,  // a bigint beyond 2^64 - 1 (or negative)
  kStatusSrcAddressTooLarge = 3,
  kStatusDstWraps = 4,            // address + length past 2^64
  kStatusSrcWraps = 5,
  kStatusDstTooShort = 6,         // length beyond a JavaScript-owned range (lib checks first; this is a backstop)
  kStatusSrcTooShort = 7,
};

enum ArgumentKind : uint32_t { kKindView = 0, kKindBigInt = 1, kKindNumber = 2 };
constexpr uint32_t kFlagSyscall = 1;
constexpr uint32_t kDstKindShift = 1;
constexpr uint32_t kSrcKindShift = 3;

// Slots (8 bytes each) of the fault-state buffer.
enum FaultSlot : int { kSlotBytesCopied = 0, kSlotKind, kSlotSignal, kSlotAccess, kSlotAddress, kSlotCount };

// --- argument decoding ---

// Reads one side of a copy. Returns kStatusOk or the status for a bad address.
int32_t ReadEndpoint(napi_env env, napi_value value, uint32_t kind, size_t length, bool is_dst, Endpoint* out,
                     bool* view_too_short) {
  if (kind == kKindView) {
    void* data = nullptr;
    size_t byte_length = 0;
    if (napi_get_buffer_info(env, value, &data, &byte_length) != napi_ok) byte_length = 0;
    *view_too_short = length > byte_length;
    *out = Endpoint{reinterpret_cast<uintptr_t>(data), true};
    return kStatusOk;
  }
  uint64_t address = 0;
  if (kind == kKindBigInt) {
    bool lossless = false;
    napi_get_value_bigint_uint64(env, value, &address, &lossless);
    if (!lossless) return is_dst ? kStatusDstAddressTooLarge : kStatusSrcAddressTooLarge;
  } else {
    double number = 0;
    napi_get_value_double(env, value, &number);
    address = static_cast<uint64_t>(number);  // lib checked: a safe, non-negative integer
  }
  if (length > 0 && address + (length - 1) < address) return is_dst ? kStatusDstWraps : kStatusSrcWraps;
  *out = Endpoint{static_cast<uintptr_t>(address), false};
  *view_too_short = false;
  return kStatusOk;
}

// Decodes (dst, src, length, flags) into a request; returns kStatusOk or why not.
int32_t DecodeRequest(napi_env env, const napi_value* argv, CopyRequest* request) {
  uint32_t flags = 0;
  double length = 0;
  napi_get_value_uint32(env, argv[3], &flags);
  napi_get_value_double(env, argv[2], &length);
  request->length = static_cast<size_t>(length);
  request->strategy = (flags & kFlagSyscall) ? Strategy::kSyscall : Strategy::kSignal;
  bool too_short = false;
  int32_t status = ReadEndpoint(env, argv[0], (flags >> kDstKindShift) & 3, request->length, true, &request->dst,
                                &too_short);
  if (status != kStatusOk) return status;
  if (too_short) return kStatusDstTooShort;
  status = ReadEndpoint(env, argv[1], (flags >> kSrcKindShift) & 3, request->length, false, &request->src,
                        &too_short);
  if (status != kStatusOk) return status;
  return too_short ? kStatusSrcTooShort : kStatusOk;
}

void WriteOutcome(double* slots, const CopyOutcome& outcome) {
  slots[kSlotBytesCopied] = static_cast<double>(outcome.bytes_copied);
  slots[kSlotKind] = static_cast<double>(outcome.fault.kind);
  slots[kSlotSignal] = outcome.fault.signo;
  slots[kSlotAccess] = static_cast<double>(outcome.fault.access);
  reinterpret_cast<uint64_t*>(slots)[kSlotAddress] = outcome.fault.address;
}

napi_value Int32(napi_env env, int32_t value) {
  napi_value result;
  napi_create_int32(env, value, &result);
  return result;
}

// The status for a finished synchronous copy; a system error is thrown, a fault's details are written to the
// environment's fault-state buffer.
napi_value Report(napi_env env, const EnvData& env_data, const CopyOutcome& outcome) {
  if (outcome.ok) return Int32(env, kStatusOk);
  if (outcome.error != 0) {
    ThrowSystemError(env, env_data, outcome.error, outcome.syscall);
    return nullptr;
  }
  WriteOutcome(env_data.fault_slots, outcome);
  return Int32(env, kStatusFault);
}

// copy(dst, src, length, flags) -> status; a fault's details land in the fault-state buffer.
napi_value Copy(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  void* data;
  napi_get_cb_info(env, info, &argc, argv, nullptr, &data);
  const EnvData& env_data = *static_cast<EnvData*>(data);
  CopyRequest request;
  const int32_t status = DecodeRequest(env, argv, &request);
  if (status != kStatusOk) return Int32(env, status);
  return Report(env, env_data, CopyMemory(request));
}

// readProcess(dst, src, length, flags, pid) -> status, like copy() but through process_vm_readv on `pid`
// (dst is a view, src an address in that process).
napi_value ReadProcessSync(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  void* data;
  napi_get_cb_info(env, info, &argc, argv, nullptr, &data);
  const EnvData& env_data = *static_cast<EnvData*>(data);
  int32_t pid = 0;
  napi_get_value_int32(env, argv[4], &pid);
  CopyRequest request;
  const int32_t status = DecodeRequest(env, argv, &request);
  if (status != kStatusOk) return Int32(env, status);
  return Report(env, env_data,
                ReadProcess(pid, reinterpret_cast<uint8_t*>(request.dst.address), request.src.address, request.length));
}

// --- the copy on the libuv threadpool ---

// Lifecycle: created and queued on the JS thread; Execute runs CopyMemory on a pool thread and touches no
// N-API; Complete (JS thread) writes the outcome into the job's own state buffer, settles the promise and
// frees everything. The references keep JavaScript-owned memory alive until then.
struct CopyJob {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  EnvData* env_data = nullptr;
  CopyRequest request{};
  pid_t pid = 0;  // 0: CopyMemory; otherwise ReadProcess on this pid
  CopyOutcome outcome{};
  napi_ref keep_alive[3] = {nullptr, nullptr, nullptr};  // dst, src (when objects), state buffer
  double* state_slots = nullptr;
};

void ExecuteCopyJob(napi_env, void* data) {
  CopyJob& job = *static_cast<CopyJob*>(data);
  job.outcome = job.pid != 0 ? ReadProcess(job.pid, reinterpret_cast<uint8_t*>(job.request.dst.address),
                                           job.request.src.address, job.request.length)
                             : CopyMemory(job.request);
}

void CompleteCopyJob(napi_env env, napi_status, void* data) {
  CopyJob* job = static_cast<CopyJob*>(data);
  Napi::HandleScope scope(env);
  if (job->outcome.error != 0) {
    napi_reject_deferred(env, job->deferred,
                         MakeSystemError(env, *job->env_data, job->outcome.error, job->outcome.syscall));
  } else {
    if (!job->outcome.ok) WriteOutcome(job->state_slots, job->outcome);
    napi_resolve_deferred(env, job->deferred, Int32(env, job->outcome.ok ? kStatusOk : kStatusFault));
  }
  for (napi_ref ref : job->keep_alive) {
    if (ref != nullptr) napi_delete_reference(env, ref);
  }
  napi_delete_async_work(env, job->work);
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

// copyAsync(dst, src, length, flags, stateBuffer, pid) -> Promise<status>; pid 0 means this process.
napi_value CopyAsync(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  void* data;
  napi_get_cb_info(env, info, &argc, argv, nullptr, &data);
  CopyJob* job = new CopyJob();
  job->env_data = static_cast<EnvData*>(data);
  int32_t pid = 0;
  napi_get_value_int32(env, argv[5], &pid);
  job->pid = pid;
  const int32_t status = DecodeRequest(env, argv, &job->request);
  if (status != kStatusOk) {
    delete job;
    return Int32(env, status);
  }
  void* state = nullptr;
  napi_get_arraybuffer_info(env, argv[4], &state, nullptr);
  job->state_slots = static_cast<double*>(state);
  job->keep_alive[0] = KeepAlive(env, argv[0]);
  job->keep_alive[1] = KeepAlive(env, argv[1]);
  job->keep_alive[2] = KeepAlive(env, argv[4]);
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "memprobe.copy", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, nullptr, name, ExecuteCopyJob, CompleteCopyJob, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

// --- small helpers for lib ---

Napi::Value AddressOf(const Napi::CallbackInfo& info) {
  void* data = nullptr;
  napi_get_buffer_info(info.Env(), info[0], &data, nullptr);
  return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(reinterpret_cast<uintptr_t>(data)));
}

uintptr_t AddressArgument(const Napi::Value& value) {
  bool lossless;
  return static_cast<uintptr_t>(value.As<Napi::BigInt>().Uint64Value(&lossless));
}

Napi::Value ReturnOrThrow(const Napi::CallbackInfo& info, const SystemCallResult& result) {
  const EnvData& data = *static_cast<EnvData*>(info.Data());
  if (result.error != 0) {
    ThrowSystemError(info.Env(), data, result.error, result.syscall);
    return info.Env().Undefined();
  }
  return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(result.value));
}

// mapAnonymous(length, prot) -> bigint address
Napi::Value MapAnonymousBinding(const Napi::CallbackInfo& info) {
  return ReturnOrThrow(info, MapAnonymous(static_cast<size_t>(info[0].As<Napi::Number>().Int64Value()),
                                          info[1].As<Napi::Number>().Int32Value()));
}

// mapFile(path, length, shared, writable) -> bigint address
Napi::Value MapFileBinding(const Napi::CallbackInfo& info) {
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  return ReturnOrThrow(info, MapFile(path.c_str(), static_cast<size_t>(info[1].As<Napi::Number>().Int64Value()),
                                     info[2].ToBoolean(), info[3].ToBoolean()));
}

// protect(address, length, prot)
Napi::Value ProtectBinding(const Napi::CallbackInfo& info) {
  ReturnOrThrow(info, Protect(AddressArgument(info[0]), static_cast<size_t>(info[1].As<Napi::Number>().Int64Value()),
                              info[2].As<Napi::Number>().Int32Value()));
  return info.Env().Undefined();
}

// unmap(address, length)
Napi::Value UnmapBinding(const Napi::CallbackInfo& info) {
  ReturnOrThrow(info, Unmap(AddressArgument(info[0]), static_cast<size_t>(info[1].As<Napi::Number>().Int64Value())));
  return info.Env().Undefined();
}

Napi::Object Constants(Napi::Env env, std::initializer_list<std::pair<const char*, double>> entries) {
  Napi::Object object = Napi::Object::New(env);
  for (const auto& entry : entries) object.Set(entry.first, Napi::Number::New(env, entry.second));
  return object;
}

}  // namespace

void InitMemory(Napi::Env env, Napi::Object exports, EnvData* data) {
  Napi::ArrayBuffer state = Napi::ArrayBuffer::New(env, kSlotCount * sizeof(double));
  data->fault_state = Napi::Persistent(state);
  data->fault_slots = static_cast<double*>(state.Data());

  auto raw = [&](const char* name, napi_callback callback) {
    napi_value function;
    napi_create_function(env, name, NAPI_AUTO_LENGTH, callback, data, &function);
    exports.Set(name, function);
  };
  raw("copy", Copy);
  raw("readProcess", ReadProcessSync);
  raw("copyAsync", CopyAsync);
  exports.Set("addressOf", Napi::Function::New(env, AddressOf, "addressOf", data));
  exports.Set("mapAnonymous", Napi::Function::New(env, MapAnonymousBinding, "mapAnonymous", data));
  exports.Set("mapFile", Napi::Function::New(env, MapFileBinding, "mapFile", data));
  exports.Set("protect", Napi::Function::New(env, ProtectBinding, "protect", data));
  exports.Set("unmap", Napi::Function::New(env, UnmapBinding, "unmap", data));

  exports.Set("faultState", state);
  exports.Set("pageSize", Napi::Number::New(env, static_cast<double>(GetMachine().page_size)));
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
  exports.Set("copyStatus", Constants(env, {{"ok", kStatusOk},
                                            {"fault", kStatusFault},
                                            {"dstAddressTooLarge", kStatusDstAddressTooLarge},
                                            {"srcAddressTooLarge", kStatusSrcAddressTooLarge},
                                            {"dstWraps", kStatusDstWraps},
                                            {"srcWraps", kStatusSrcWraps},
                                            {"dstTooShort", kStatusDstTooShort},
                                            {"srcTooShort", kStatusSrcTooShort}}));
  exports.Set("copyFlags", Constants(env, {{"syscall", kFlagSyscall},
                                           {"dstKindShift", kDstKindShift},
                                           {"srcKindShift", kSrcKindShift},
                                           {"view", kKindView},
                                           {"bigint", kKindBigInt},
                                           {"number", kKindNumber}}));
  exports.Set("protections", Constants(env, {{"none", PROT_NONE},
                                             {"r", PROT_READ},
                                             {"rw", PROT_READ | PROT_WRITE},
                                             {"rx", PROT_READ | PROT_EXEC},
                                             {"rwx", PROT_READ | PROT_WRITE | PROT_EXEC}}));
}

}  // namespace memprobe
