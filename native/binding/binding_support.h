// Shared by the binding files (the only files that know N-API): per-environment data and the one way
// system-call failures become JavaScript errors.
#pragma once

#include <napi.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "common/system_call.h"
#include "memory/fault.h"

namespace memprobe {

// One per Node environment (the main thread and each worker), owned by the environment.
struct EnvData {
  Napi::Reference<Napi::ArrayBuffer> fault_state;  // where the synchronous copy writes its outcome
  double* fault_slots = nullptr;                   // fault_state's bytes, slot by slot
  Napi::FunctionReference system_error_class;      // lib/common/errors.ts SystemError, handed over once at load
  // The guard's ownership check (guard_ownership.h): the event-loop turn this environment is in (counted by a
  // prepare handle, guard_binding.cc), the turn the last check ran in, and how many checks ran (a test hook).
  uint64_t loop_turn = 1;
  uint64_t checked_turn = 0;
  uint64_t ownership_checks = 0;
};

// Slots (8 bytes each) of a fault-state buffer: where a synchronous call leaves a fault's details for
// lib/memory/copy.ts (faultFrom) to read, so the no-fault path builds no object.
enum FaultSlot : int { kSlotBytesCopied = 0, kSlotKind, kSlotSignal, kSlotAccess, kSlotAddress, kSlotCount };

inline void WriteFault(double* slots, const CopyFailure& failure) {
  slots[kSlotBytesCopied] = static_cast<double>(failure.bytes_copied);
  slots[kSlotKind] = static_cast<double>(failure.fault.kind);
  slots[kSlotSignal] = failure.fault.signo;
  slots[kSlotAccess] = static_cast<double>(failure.fault.access);
  reinterpret_cast<uint64_t*>(slots)[kSlotAddress] = failure.fault.address;
}

// A raw address argument: a bigint in [0, 2^64), or a number that is a non-negative safe integer, such that
// [address, address + length) does not pass 2^64.
enum class AddressArgument : int32_t { kOk, kWrongType, kOutOfRange, kWraps };

inline AddressArgument DecodeAddress(napi_env env, napi_value value, size_t length, uint64_t* out) {
  constexpr double kMaxSafeInteger = 9007199254740991.0;
  uint64_t address = 0;
  bool lossless = false;
  if (napi_get_value_bigint_uint64(env, value, &address, &lossless) == napi_ok) {
    if (!lossless) return AddressArgument::kOutOfRange;
  } else {
    double number = -1;
    if (napi_get_value_double(env, value, &number) != napi_ok) return AddressArgument::kWrongType;
    if (!(number >= 0 && number <= kMaxSafeInteger) || std::trunc(number) != number) {
      return AddressArgument::kOutOfRange;
    }
    address = static_cast<uint64_t>(number);
  }
  if (length > 0 && address + (length - 1) < address) return AddressArgument::kWraps;
  *out = address;
  return AddressArgument::kOk;
}

// exports[name] = a raw N-API function (no node-addon-api wrapper on the call) whose data is the environment's.
inline void ExportRaw(napi_env env, napi_value exports, const char* name, napi_callback callback, EnvData* data) {
  napi_value function;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, callback, data, &function);
  napi_set_named_property(env, exports, name, function);
}

// Throws `new SystemError(syscall, code, errno, description[, pid])` in the environment. `pid` (0: none) is the
// process a call was aimed at (another process's memory or maps); the message then names it and the likely cause.
void ThrowSystemError(Napi::Env env, const EnvData& data, int error, const char* syscall, int pid = 0);
// Throws the SystemError a failed wrapper call stands for (with its cause, if it has one); returns whether it failed.
bool ThrowIfFailed(Napi::Env env, const EnvData& data, const SystemCallResult& result, int pid = 0);
// The SystemError itself, built with raw N-API calls only (so it can be used by an AsyncJob's Settle): nullptr
// when a call failed. `path`: the file a failed open named, or nullptr.
napi_value MakeSystemError(napi_env env, const EnvData& data, int error, const char* syscall, int pid = 0,
                           const char* path = nullptr);
// The SystemError of a failed wrapper call, with `cause` (the refused open of /proc/<pid>/<file>) where it has one.
napi_value MakeSystemError(napi_env env, const EnvData& data, const SystemCallResult& result, int pid);

// Work on the libuv threadpool that settles a promise: the one lifecycle every asynchronous export shares.
//   Start (JS thread) creates the promise, keeps what it was given alive and queues the job; the job owns itself
//   from then on. Execute (a pool thread) does the work and touches no N-API. Settle (JS thread) builds the value
//   the promise resolves or rejects with; then the job releases its references and deletes itself.
// A worker being terminated (or a process exiting) still runs the completions of work already on the pool while it
// tears its environment down, when JavaScript may no longer run there. Then nothing is built or settled: N-API
// refuses every call that could run JavaScript, and node-addon-api turns a refused call into napi_throw, which
// is refused too and aborts the whole process. So Settle must use raw N-API calls only (a refused call is a
// status, never a throw), because the environment can start going away (terminate() is called from another
// thread) between the check and the settling.
class AsyncJob {
 public:
  virtual ~AsyncJob() = default;
  // Keeps `value` (when it is an object) alive until the job is done. Before Start.
  void KeepAlive(napi_env env, napi_value value);
  // Queues the job and returns its promise; when N-API refuses, deletes the job and returns nullptr with an
  // exception pending.
  napi_value Start(napi_env env, const char* resource_name);

 protected:
  virtual void Execute() = 0;
  // The value to settle the promise with, and whether it rejects: nullptr when building it failed (the promise
  // then rejects with the pending exception, or an error that says so).
  virtual napi_value Settle(napi_env env, bool* rejected) = 0;

 private:
  static void OnExecute(napi_env env, void* data);
  static void OnComplete(napi_env env, napi_status status, void* data);

  napi_async_work work_ = nullptr;
  napi_deferred deferred_ = nullptr;
  std::vector<napi_ref> kept_alive_;
};

// One function a binding file exports, named as JavaScript sees it.
struct ExportedFunction {
  const char* name;
  Napi::Value (*function)(const Napi::CallbackInfo&);
};
// Sets each on `exports`, with the environment's data as the callback data.
void ExportFunctions(Napi::Env env, Napi::Object exports, EnvData* data, std::initializer_list<ExportedFunction> functions);

}  // namespace memprobe
