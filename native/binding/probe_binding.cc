// N-API surface of probing: one address, a batch (synchronous or on the threadpool, this process or another one),
// a range's readable prefix, and the readable ranges of an address space. lib/probe/probe.ts checks every argument
// first; this layer only converts them.
#include <string.h>

#include <vector>

#include "binding/bindings.h"
#include "binding/guard_ownership.h"
#include "memory/guard.h"
#include "probe/guard_regions.h"
#include "probe/map_list.h"
#include "probe/map_query.h"
#include "probe/probe.h"
#include "probe/remote_probe.h"
#include "probe/scan.h"

namespace memprobe {

namespace {

// lib/probe/probe.ts passes an address as a bigint, or a number it has checked is a safe integer.
uint64_t AddressArgument(const Napi::Value& value) {
  if (value.IsBigInt()) {
    bool lossless;
    return value.As<Napi::BigInt>().Uint64Value(&lossless);
  }
  return static_cast<uint64_t>(value.As<Napi::Number>().Int64Value());
}

// A batch: the addresses (a BigUint64Array), where the codes go (a Uint8Array as long), and the pid (0: this process).
struct Batch {
  const uint64_t* addresses = nullptr;
  uint8_t* codes = nullptr;
  size_t count = 0;
  pid_t pid = 0;
};

bool ReadBatch(const Napi::CallbackInfo& info, Batch* batch) {
  const Napi::TypedArray addresses = info[0].As<Napi::TypedArray>();
  const Napi::TypedArray codes = info[1].As<Napi::TypedArray>();
  if (addresses.TypedArrayType() != napi_biguint64_array || codes.TypedArrayType() != napi_uint8_array ||
      codes.ElementLength() < addresses.ElementLength()) {
    Napi::TypeError::New(info.Env(), "memprobe: probeMany takes a BigUint64Array and a Uint8Array as long")
        .ThrowAsJavaScriptException();
    return false;
  }
  batch->addresses = reinterpret_cast<const uint64_t*>(static_cast<const uint8_t*>(addresses.ArrayBuffer().Data()) +
                                                       addresses.ByteOffset());
  batch->codes = static_cast<uint8_t*>(codes.ArrayBuffer().Data()) + codes.ByteOffset();
  batch->count = addresses.ElementLength();
  batch->pid = info[2].As<Napi::Number>().Int32Value();
  return true;
}

SystemCallResult RunBatch(const Batch& batch) {
  if (batch.pid != 0) return ProbeAddressesRemote(batch.pid, batch.addresses, batch.codes, batch.count);
  ProbeAddresses(batch.addresses, batch.codes, batch.count);
  return Succeeded();
}

// probe(address) -> ProbeCode
Napi::Value Probe(const Napi::CallbackInfo& info) {
  const uint64_t address = AddressArgument(info[0]);
  CheckGuardOwnership(static_cast<EnvData*>(info.Data()));
  return Napi::Number::New(info.Env(), ProbeAddress(address));
}

// probeMany(addresses, codes, pid): fills codes.
Napi::Value ProbeMany(const Napi::CallbackInfo& info) {
  Batch batch;
  if (!ReadBatch(info, &batch)) return info.Env().Undefined();
  EnvData* data = static_cast<EnvData*>(info.Data());
  if (batch.pid == 0) CheckGuardOwnership(data);
  ThrowIfFailed(info.Env(), *data, RunBatch(batch), batch.pid);
  return info.Env().Undefined();
}

// An AsyncJob (binding_support.h): Execute probes on a pool thread; Settle resolves with undefined or rejects with
// a SystemError. The job keeps both arrays alive until then.
class ProbeManyJob : public AsyncJob {
 public:
  ProbeManyJob(const EnvData* env_data, const Batch& batch) : env_data_(env_data), batch_(batch) {}

 protected:
  void Execute() override {
    if (batch_.pid == 0) GuardReassert();  // as before each asynchronous copy: no handler displaced the guard
    result_ = RunBatch(batch_);
  }

  napi_value Settle(napi_env env, bool* rejected) override {
    if (result_.error != 0) {
      *rejected = true;
      return MakeSystemError(env, *env_data_, result_, batch_.pid);
    }
    napi_value undefined;
    return napi_get_undefined(env, &undefined) == napi_ok ? undefined : nullptr;
  }

 private:
  const EnvData* env_data_;
  Batch batch_;
  SystemCallResult result_{};
};

// probeManyAsync(addresses, codes, pid) -> Promise<undefined>
Napi::Value ProbeManyAsync(const Napi::CallbackInfo& info) {
  Batch batch;
  if (!ReadBatch(info, &batch)) return info.Env().Undefined();
  ProbeManyJob* job = new ProbeManyJob(static_cast<const EnvData*>(info.Data()), batch);
  job->KeepAlive(info.Env(), info[0]);
  job->KeepAlive(info.Env(), info[1]);
  return Napi::Value(info.Env(), job->Start(info.Env(), "memprobe.probeMany"));
}

// readablePrefix(address, length) -> bytes readable from address before the first page that is not
Napi::Value ReadablePrefixBinding(const Napi::CallbackInfo& info) {
  const size_t length = static_cast<size_t>(info[1].As<Napi::Number>().Int64Value());
  const uint64_t address = AddressArgument(info[0]);
  CheckGuardOwnership(static_cast<EnvData*>(info.Data()));
  return Napi::Number::New(info.Env(), static_cast<double>(ReadablePrefix(address, length)));
}

// scanReadable(start, end, pid) -> BigUint64Array [start0, end0, start1, end1, ...]
Napi::Value ScanReadableBinding(const Napi::CallbackInfo& info) {
  const uint64_t start = AddressArgument(info[0]);
  const uint64_t end = AddressArgument(info[1]);
  const pid_t pid = info[2].As<Napi::Number>().Int32Value();
  std::vector<Range> ranges;
  if (pid == 0) CheckGuardOwnership(static_cast<EnvData*>(info.Data()));
  const SystemCallResult result =
      pid == 0 ? ScanReadable(start, end, &ranges) : ScanReadableRemote(pid, start, end, &ranges);
  if (ThrowIfFailed(info.Env(), *static_cast<EnvData*>(info.Data()), result, pid)) return info.Env().Undefined();
  Napi::BigUint64Array array = Napi::BigUint64Array::New(info.Env(), ranges.size() * 2, napi_biguint64_array);
  if (!ranges.empty()) memcpy(array.Data(), ranges.data(), ranges.size() * sizeof(Range));
  return array;
}

// checkProcessAlive(pid): throws the SystemError (ESRCH) of a process that is gone or a zombie (see map_list.h).
Napi::Value CheckProcessAliveBinding(const Napi::CallbackInfo& info) {
  const pid_t pid = info[0].As<Napi::Number>().Int32Value();
  ThrowIfFailed(info.Env(), *static_cast<EnvData*>(info.Data()), CheckProcessAlive(pid), pid);
  return info.Env().Undefined();
}

// checkProcessReadable(pid): throws the SystemError a read of the process's memory would (EPERM from
// process_vm_readv for a process this one may not read, ESRCH for one that is gone or a zombie; see map_list.h).
Napi::Value CheckProcessReadableBinding(const Napi::CallbackInfo& info) {
  const pid_t pid = info[0].As<Napi::Number>().Int32Value();
  ThrowIfFailed(info.Env(), *static_cast<EnvData*>(info.Data()), CheckProcessReadable(pid), pid);
  return info.Env().Undefined();
}

// queryMappings(start, end): [start, end, flags]* of the mappings over [start, end) as the kernel has them now
// (PROCMAP_QUERY), or null where the kernel cannot say (before Linux 6.11). The fuzzer brackets copies with it.
Napi::Value QueryMappingsBinding(const Napi::CallbackInfo& info) {
  std::vector<QueriedMapping> mappings;
  if (!QueryMappings(AddressArgument(info[0]), AddressArgument(info[1]), &mappings)) return info.Env().Null();
  Napi::BigUint64Array array = Napi::BigUint64Array::New(info.Env(), mappings.size() * 3, napi_biguint64_array);
  for (size_t i = 0; i < mappings.size(); i++) {
    array[3 * i] = mappings[i].start;
    array[3 * i + 1] = mappings[i].end;
    array[3 * i + 2] = mappings[i].flags;
  }
  return array;
}

// Test hook: _installGuardRegion(address, length), MADV_GUARD_INSTALL (SystemError where the kernel lacks it).
Napi::Value InstallGuardRegionBinding(const Napi::CallbackInfo& info) {
  const size_t length = static_cast<size_t>(info[1].As<Napi::Number>().Int64Value());
  ThrowIfFailed(info.Env(), *static_cast<EnvData*>(info.Data()),
                InstallGuardRegion(static_cast<uintptr_t>(AddressArgument(info[0])), length));
  return info.Env().Undefined();
}

}  // namespace

void InitProbe(Napi::Env env, Napi::Object exports, EnvData* data) {
  ExportFunctions(env, exports, data,
                  {
                      {"probe", Probe},
                      {"probeMany", ProbeMany},
                      {"probeManyAsync", ProbeManyAsync},
                      {"readablePrefix", ReadablePrefixBinding},
                      {"scanReadable", ScanReadableBinding},
                      {"checkProcessAlive", CheckProcessAliveBinding},
                      {"checkProcessReadable", CheckProcessReadableBinding},
                      {"queryMappings", QueryMappingsBinding},
                      {"_installGuardRegion", InstallGuardRegionBinding},
                  });
  Napi::Object codes = Napi::Object::New(env);
  codes.Set("readable", static_cast<double>(kProbeReadable));
  codes.Set("protected", static_cast<double>(kProbeProtected));
  codes.Set("unmapped", static_cast<double>(kProbeUnmapped));
  codes.Set("noncanonical", static_cast<double>(kProbeNoncanonical));
  exports.Set("probeCodes", codes);
}

}  // namespace memprobe
