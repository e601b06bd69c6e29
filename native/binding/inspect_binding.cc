// N-API surface of the inspect area: typed reads and writes, strings, and the pattern search (synchronous and on
// the threadpool). lib/inspect/values.ts, lib/inspect/strings.ts and lib/inspect/scan-memory.ts check the arguments this layer
// does not; what it refuses it answers with `null`, and the library then finds the right error to throw.
//
// Typed reads and writes are the hot path, so they are raw N-API, one function per kind and byte order
// (specialised at compile time, like the copiers): a read returns the value, or `undefined` for a fault whose
// details are in the environment's fault-state buffer; a write returns `undefined`, or 1 for a fault. The same
// functions for another process (remoteReaders, remoteWriters) take its pid last and make the copy's one
// process_vm_readv/writev; a process that refuses (EPERM) or is gone (ESRCH) throws the copy's SystemError.
#include <string.h>

#include <string>
#include <utility>
#include <vector>

#include "binding/bindings.h"
#include "binding/guard_ownership.h"
#include "inspect/pattern_scan.h"
#include "inspect/remote_access.h"
#include "inspect/strings.h"
#include "inspect/typed_access.h"
#include "memory/guard.h"

namespace memprobe {

namespace {

enum ValueKind : int { kU8, kU16, kU32, kU64, kI8, kI16, kI32, kI64, kF32, kF64 };
constexpr const char* kKindNames[] = {"u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "f32", "f64"};

constexpr unsigned WidthOf(ValueKind kind) {
  switch (kind) {
    case kU8:
    case kI8:
      return 1;
    case kU16:
    case kI16:
      return 2;
    case kU32:
    case kI32:
    case kF32:
      return 4;
    default:
      return 8;
  }
}

constexpr int32_t kWriteFaulted = 1;

napi_value Null(napi_env env) {
  napi_value result;
  napi_get_null(env, &result);
  return result;
}

// The first argument as an address for `width` bytes, or false when this layer refuses it.
bool AddressOf(napi_env env, napi_callback_info info, size_t argc, napi_value* argv, unsigned width,
               uint64_t* address, EnvData** data) {
  void* raw = nullptr;
  napi_get_cb_info(env, info, &argc, argv, nullptr, &raw);
  *data = static_cast<EnvData*>(raw);
  if (DecodeAddress(env, argv[0], width, address) != AddressArgument::kOk) return false;
  CheckGuardOwnership(*data);  // every caller goes on to a guarded access
  return true;
}

template <ValueKind kKind>
napi_value MakeValue(napi_env env, uint64_t bits) {
  napi_value result;
  switch (kKind) {
    case kU8:
    case kU16:
    case kU32:
      napi_create_uint32(env, static_cast<uint32_t>(bits), &result);
      break;
    case kI8:
      napi_create_int32(env, static_cast<int8_t>(bits), &result);
      break;
    case kI16:
      napi_create_int32(env, static_cast<int16_t>(bits), &result);
      break;
    case kI32:
      napi_create_int32(env, static_cast<int32_t>(bits), &result);
      break;
    case kU64:
      napi_create_bigint_uint64(env, bits, &result);
      break;
    case kI64:
      napi_create_bigint_int64(env, static_cast<int64_t>(bits), &result);
      break;
    case kF32: {
      float value;
      const uint32_t word = static_cast<uint32_t>(bits);
      memcpy(&value, &word, sizeof value);
      napi_create_double(env, value, &result);
      break;
    }
    case kF64: {
      double value;
      memcpy(&value, &bits, sizeof value);
      napi_create_double(env, value, &result);
      break;
    }
  }
  return result;
}

// readers.<kind>[Be](address) -> value | undefined (a fault) | null (an address refused)
template <ValueKind kKind, bool kBigEndian>
napi_value Read(napi_env env, napi_callback_info info) {
  constexpr unsigned kWidth = WidthOf(kKind);
  napi_value argv[1];
  uint64_t address;
  EnvData* data;
  if (!AddressOf(env, info, 1, argv, kWidth, &address, &data)) return Null(env);
  uint64_t bits = 0;
  CopyFailure failure;
  if (!LoadValue(static_cast<uintptr_t>(address), kWidth, &bits, &failure)) {
    WriteFault(data->fault_slots, failure);
    return nullptr;
  }
  return MakeValue<kKind>(env, kBigEndian ? SwapBytes(bits, kWidth) : bits);
}

// The bits of a value lib/inspect/values.ts has checked: a bigint for 8-byte integers, else a number.
template <ValueKind kKind>
uint64_t BitsOf(napi_env env, napi_value value) {
  switch (kKind) {
    case kU64: {
      uint64_t bits = 0;
      bool lossless;
      napi_get_value_bigint_uint64(env, value, &bits, &lossless);
      return bits;
    }
    case kI64: {
      int64_t bits = 0;
      bool lossless;
      napi_get_value_bigint_int64(env, value, &bits, &lossless);
      return static_cast<uint64_t>(bits);
    }
    case kF32: {
      double number = 0;
      napi_get_value_double(env, value, &number);
      const float narrow = static_cast<float>(number);
      uint32_t word;
      memcpy(&word, &narrow, sizeof word);
      return word;
    }
    case kF64: {
      double number = 0;
      napi_get_value_double(env, value, &number);
      uint64_t bits;
      memcpy(&bits, &number, sizeof bits);
      return bits;
    }
    default: {
      int64_t number = 0;
      napi_get_value_int64(env, value, &number);
      return static_cast<uint64_t>(number);
    }
  }
}

// writers.<kind>[Be](address, value) -> undefined | 1 (a fault, details in the fault state) | null
template <ValueKind kKind, bool kBigEndian>
napi_value Write(napi_env env, napi_callback_info info) {
  constexpr unsigned kWidth = WidthOf(kKind);
  napi_value argv[2];
  uint64_t address;
  EnvData* data;
  if (!AddressOf(env, info, 2, argv, kWidth, &address, &data)) return Null(env);
  const uint64_t bits = BitsOf<kKind>(env, argv[1]);
  CopyFailure failure;
  if (StoreValue(static_cast<uintptr_t>(address), kWidth, kBigEndian ? SwapBytes(bits, kWidth) : bits, &failure)) {
    return nullptr;
  }
  WriteFault(data->fault_slots, failure);
  napi_value status;
  napi_create_int32(env, kWriteFaulted, &status);
  return status;
}

// --- typed reads and writes in another process ---

// The pid argument lib/inspect/values.ts has checked (a positive 32-bit integer).
pid_t PidOf(napi_env env, napi_value value) {
  int32_t pid = 0;
  napi_get_value_int32(env, value, &pid);
  return pid;
}

// A failed access to another process: its fault into the fault state (true), or the SystemError copyProcess
// throws for the same errno, system call and pid (false, an exception pending).
bool ReportRemoteFailure(napi_env env, EnvData* data, const CopyFailure& failure, pid_t pid) {
  if (failure.error != 0) {
    ThrowSystemError(Napi::Env(env), *data, failure.error, failure.syscall, pid);
    return false;
  }
  WriteFault(data->fault_slots, failure);
  return true;
}

// remoteReaders.<kind>[Be](address, pid) -> value | undefined (a fault) | null (an address refused), or throws
template <ValueKind kKind, bool kBigEndian>
napi_value ReadRemote(napi_env env, napi_callback_info info) {
  constexpr unsigned kWidth = WidthOf(kKind);
  size_t argc = 2;
  napi_value argv[2];
  void* raw;
  napi_get_cb_info(env, info, &argc, argv, nullptr, &raw);
  uint64_t address;
  if (DecodeAddress(env, argv[0], kWidth, &address) != AddressArgument::kOk) return Null(env);
  const pid_t pid = PidOf(env, argv[1]);
  uint64_t bits = 0;
  CopyFailure failure;
  if (!ReadRemoteValue(pid, static_cast<uintptr_t>(address), kWidth, &bits, &failure)) {
    ReportRemoteFailure(env, static_cast<EnvData*>(raw), failure, pid);
    return nullptr;
  }
  return MakeValue<kKind>(env, kBigEndian ? SwapBytes(bits, kWidth) : bits);
}

// remoteWriters.<kind>[Be](address, value, pid) -> undefined | 1 (a fault, details in the fault state) | null,
// or throws
template <ValueKind kKind, bool kBigEndian>
napi_value WriteRemote(napi_env env, napi_callback_info info) {
  constexpr unsigned kWidth = WidthOf(kKind);
  size_t argc = 3;
  napi_value argv[3];
  void* raw;
  napi_get_cb_info(env, info, &argc, argv, nullptr, &raw);
  uint64_t address;
  if (DecodeAddress(env, argv[0], kWidth, &address) != AddressArgument::kOk) return Null(env);
  const uint64_t bits = BitsOf<kKind>(env, argv[1]);
  const pid_t pid = PidOf(env, argv[2]);
  CopyFailure failure;
  if (WriteRemoteValue(pid, static_cast<uintptr_t>(address), kWidth, kBigEndian ? SwapBytes(bits, kWidth) : bits,
                       &failure)) {
    return nullptr;
  }
  if (!ReportRemoteFailure(env, static_cast<EnvData*>(raw), failure, pid)) return nullptr;
  napi_value status;
  napi_create_int32(env, kWriteFaulted, &status);
  return status;
}

// --- strings ---

// A read string: the string when it ended normally, [partial] after a fault (details in the fault state). The
// bytes read go to the fault state's first slot either way.
napi_value StringResult(napi_env env, EnvData* data, const StringRead& read, napi_value text) {
  CopyFailure failure{read.bytes_read, read.fault, 0, nullptr};
  if (!read.faulted) {
    data->fault_slots[kSlotBytesCopied] = static_cast<double>(read.bytes_read);
    return text;
  }
  WriteFault(data->fault_slots, failure);
  napi_value partial;
  napi_create_array_with_length(env, 1, &partial);
  napi_set_element(env, partial, 0, text);
  return partial;
}

napi_value Utf8Text(napi_env env, const ByteSink& sink) {
  napi_value text;
  napi_create_string_utf8(env, reinterpret_cast<const char*>(sink.data()), sink.size(), &text);
  return text;
}

// (address, limit): the address is checked for one byte (a terminated string never reads past the kernel half,
// where every page faults); the limit is a non-negative safe integer lib/inspect/strings.ts has checked.
template <typename Reader>
napi_value ReadString(napi_env env, napi_callback_info info, Reader reader) {
  napi_value argv[2];
  uint64_t address;
  EnvData* data;
  if (!AddressOf(env, info, 2, argv, 1, &address, &data)) return Null(env);
  int64_t limit = 0;
  napi_get_value_int64(env, argv[1], &limit);
  return reader(env, data, static_cast<uintptr_t>(address), static_cast<size_t>(limit));
}

// readCString(address, maxLength) -> string | [partial] | null
napi_value ReadCStringBinding(napi_env env, napi_callback_info info) {
  return ReadString(env, info, [](napi_env env, EnvData* data, uintptr_t address, size_t limit) {
    ByteSink sink;
    const StringRead read = ReadCString(address, limit, &sink);
    return StringResult(env, data, read, Utf8Text(env, sink));
  });
}

// readUtf8(address, length) -> string | [partial] | null; address + length must not pass 2^64.
napi_value ReadUtf8Binding(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  size_t argc = 2;
  void* raw;
  napi_get_cb_info(env, info, &argc, argv, nullptr, &raw);
  int64_t length = 0;
  napi_get_value_int64(env, argv[1], &length);
  uint64_t address;
  if (DecodeAddress(env, argv[0], static_cast<size_t>(length), &address) != AddressArgument::kOk) return Null(env);
  CheckGuardOwnership(static_cast<EnvData*>(raw));
  ByteSink sink;
  const StringRead read = ReadBytes(static_cast<uintptr_t>(address), static_cast<size_t>(length), &sink);
  return StringResult(env, static_cast<EnvData*>(raw), read, Utf8Text(env, sink));
}

// Complete units of the bytes read, with each unpaired surrogate replaced by U+FFFD (as TextDecoder does).
napi_value Utf16Text(napi_env env, ByteSink* sink) {
  const size_t units = sink->size() / 2;
  char16_t* text = reinterpret_cast<char16_t*>(sink->data());
  for (size_t i = 0; i < units; i++) {
    const char16_t unit = text[i];
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < units && text[i + 1] >= 0xdc00 && text[i + 1] <= 0xdfff) {
      i++;  // a pair
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      text[i] = 0xfffd;
    }
  }
  napi_value result;
  napi_create_string_utf16(env, text, units, &result);
  return result;
}

// readUtf16(address, maxUnits) -> string | [partial] | null
napi_value ReadUtf16Binding(napi_env env, napi_callback_info info) {
  return ReadString(env, info, [](napi_env env, EnvData* data, uintptr_t address, size_t limit) {
    ByteSink sink;
    const StringRead read = ReadUtf16(address, limit, &sink);
    return StringResult(env, data, read, Utf16Text(env, &sink));
  });
}

// readProcessString(address, limit, pid, kind) -> string | [partial] | null, or throws a SystemError: the three
// reads above in process `pid` (kind: 0 C string, 1 bytes of a known length, 2 UTF-16; limit as they take it).
napi_value ReadProcessStringBinding(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  void* raw;
  napi_get_cb_info(env, info, &argc, argv, nullptr, &raw);
  int64_t limit = 0;
  int32_t pid = 0;
  uint32_t kind = 0;
  napi_get_value_int64(env, argv[1], &limit);
  napi_get_value_int32(env, argv[2], &pid);
  napi_get_value_uint32(env, argv[3], &kind);
  const StringKind string_kind = static_cast<StringKind>(kind);
  // Bytes of a known length must not pass 2^64; a terminated string is checked for its first byte, as above.
  const size_t width = string_kind == StringKind::kBytes ? static_cast<size_t>(limit) : 1;
  uint64_t address;
  if (DecodeAddress(env, argv[0], width, &address) != AddressArgument::kOk) return Null(env);
  EnvData* data = static_cast<EnvData*>(raw);
  ByteSink sink;
  StringRead read{};
  CopyFailure failure{};
  if (!ReadProcessString(pid, string_kind, static_cast<uintptr_t>(address), static_cast<size_t>(limit), &sink, &read,
                         &failure)) {
    ThrowSystemError(Napi::Env(env), *data, failure.error, failure.syscall, pid);
    return nullptr;
  }
  return StringResult(env, data, read, string_kind == StringKind::kUtf16 ? Utf16Text(env, &sink) : Utf8Text(env, sink));
}

// --- pattern search ---

// One scan request: [start, end) of this process (pid 0) or of `pid`, at most `max_matches` matches.
struct ScanJob {
  uint64_t start = 0;
  uint64_t end = 0;
  pid_t pid = 0;
  size_t max_matches = 0;
};

// (start, end, bytes, masks, pid, maxMatches): lib/inspect/scan-memory.ts has checked them all.
Pattern DecodeScan(const Napi::CallbackInfo& info, ScanJob* job) {
  bool lossless;
  job->start = info[0].As<Napi::BigInt>().Uint64Value(&lossless);
  job->end = info[1].As<Napi::BigInt>().Uint64Value(&lossless);
  const Napi::Uint8Array bytes = info[2].As<Napi::Uint8Array>();
  const Napi::Uint8Array masks = info[3].As<Napi::Uint8Array>();
  job->pid = info[4].As<Napi::Number>().Int32Value();
  job->max_matches = static_cast<size_t>(info[5].As<Napi::Number>().Int64Value());
  return Pattern(bytes.Data(), masks.Data(), bytes.ElementLength());
}

SystemCallResult RunScan(const Pattern& pattern, const ScanJob& job, std::vector<uint64_t>* matches,
                         ScanStop* stop) {
  if (job.pid != 0) return ScanRemote(job.pid, pattern, job.start, job.end, job.max_matches, matches, stop);
  *stop = ScanLocal(pattern, job.start, job.end, job.max_matches, matches);
  return Succeeded();
}

// [state, resume, match, match, ...]: state 0 the range is done, 1 stopped at the match limit, 2 stopped at a
// byte that could not be read (resume).
enum ScanState : uint64_t { kScanDone = 0, kScanLimited = 1, kScanFaulted = 2 };

// Raw N-API calls only (nullptr when one fails), since the asynchronous scan's Settle builds it too.
napi_value ScanResult(napi_env env, const std::vector<uint64_t>& matches, const ScanStop& stop) {
  const size_t count = matches.size() + 2;
  void* data = nullptr;
  napi_value buffer;
  napi_value result;
  if (napi_create_arraybuffer(env, count * sizeof(uint64_t), &data, &buffer) != napi_ok ||
      napi_create_typedarray(env, napi_biguint64_array, count, buffer, 0, &result) != napi_ok) {
    return nullptr;
  }
  uint64_t* slots = static_cast<uint64_t*>(data);
  slots[0] = !stop.stopped ? kScanDone : stop.faulted ? kScanFaulted : kScanLimited;
  slots[1] = stop.resume;
  if (!matches.empty()) memcpy(slots + 2, matches.data(), matches.size() * sizeof(uint64_t));
  return result;
}

// scanMemory(start, end, bytes, masks, pid, maxMatches) -> BigUint64Array
Napi::Value ScanMemoryBinding(const Napi::CallbackInfo& info) {
  ScanJob job;
  const Pattern pattern = DecodeScan(info, &job);
  std::vector<uint64_t> matches;
  ScanStop stop{};
  if (job.pid == 0) CheckGuardOwnership(static_cast<EnvData*>(info.Data()));
  const SystemCallResult result = RunScan(pattern, job, &matches, &stop);
  if (result.error != 0) {
    ThrowIfFailed(info.Env(), *static_cast<EnvData*>(info.Data()), result, job.pid);
    return info.Env().Undefined();
  }
  return Napi::Value(info.Env(), ScanResult(info.Env(), matches, stop));
}

// An AsyncJob (binding_support.h): the pattern is copied into the job, so nothing JavaScript owns is used later;
// Execute scans on a pool thread; Settle resolves with the result or rejects with a SystemError.
class ScanMemoryJob : public AsyncJob {
 public:
  ScanMemoryJob(const EnvData* env_data, const ScanJob& job, Pattern pattern)
      : env_data_(env_data), job_(job), pattern_(std::move(pattern)) {}

 protected:
  void Execute() override {
    if (job_.pid == 0) GuardReassert();  // as before each asynchronous copy: no handler displaced the guard
    result_ = RunScan(pattern_, job_, &matches_, &stop_);
  }

  napi_value Settle(napi_env env, bool* rejected) override {
    if (result_.error != 0) {
      *rejected = true;
      return MakeSystemError(env, *env_data_, result_, job_.pid);
    }
    return ScanResult(env, matches_, stop_);
  }

 private:
  const EnvData* env_data_;
  ScanJob job_;
  Pattern pattern_;
  std::vector<uint64_t> matches_;
  ScanStop stop_{};
  SystemCallResult result_{};
};

// scanMemoryAsync(start, end, bytes, masks, pid, maxMatches) -> Promise<BigUint64Array>
Napi::Value ScanMemoryAsyncBinding(const Napi::CallbackInfo& info) {
  ScanJob job;
  Pattern pattern = DecodeScan(info, &job);
  ScanMemoryJob* scan = new ScanMemoryJob(static_cast<const EnvData*>(info.Data()), job, std::move(pattern));
  return Napi::Value(info.Env(), scan->Start(info.Env(), "memprobe.scanMemory"));
}

// --- export ---

// A reader and a writer of each kind, in either byte order, on two objects (readers, writers): for this process
// (LocalAccess: Read and Write) or for another one (RemoteAccess: ReadRemote and WriteRemote).
struct Accessors {
  Napi::Object readers;
  Napi::Object writers;
};

template <template <ValueKind, bool> class Pick, ValueKind... kKind>
void ExportAccessors(napi_env env, const Accessors& to, EnvData* data) {
  const ValueKind kinds[] = {kKind...};
  const napi_callback reads[] = {Pick<kKind, false>::kRead...};
  const napi_callback reads_be[] = {Pick<kKind, true>::kRead...};
  const napi_callback writes[] = {Pick<kKind, false>::kWrite...};
  const napi_callback writes_be[] = {Pick<kKind, true>::kWrite...};
  for (size_t i = 0; i < sizeof...(kKind); i++) {
    const std::string name = kKindNames[kinds[i]];
    const std::string big_endian = name + "be";
    ExportRaw(env, to.readers, name.c_str(), reads[i], data);
    ExportRaw(env, to.readers, big_endian.c_str(), reads_be[i], data);
    ExportRaw(env, to.writers, name.c_str(), writes[i], data);
    ExportRaw(env, to.writers, big_endian.c_str(), writes_be[i], data);
  }
}

template <ValueKind kKind, bool kBigEndian>
struct LocalAccess {
  static constexpr napi_callback kRead = Read<kKind, kBigEndian>;
  static constexpr napi_callback kWrite = Write<kKind, kBigEndian>;
};

template <ValueKind kKind, bool kBigEndian>
struct RemoteAccess {
  static constexpr napi_callback kRead = ReadRemote<kKind, kBigEndian>;
  static constexpr napi_callback kWrite = WriteRemote<kKind, kBigEndian>;
};

template <template <ValueKind, bool> class Pick>
Accessors NewAccessors(napi_env env, EnvData* data) {
  const Accessors accessors{Napi::Object::New(env), Napi::Object::New(env)};
  ExportAccessors<Pick, kU8, kU16, kU32, kU64, kI8, kI16, kI32, kI64, kF32, kF64>(env, accessors, data);
  return accessors;
}

// _forcePatternRoutine(name) -> boolean: 'sse2' (x86-64) or 'neon' (aarch64), 'avx2', or 'auto' (the machine's
// choice) for every later pattern search of this process; false, and nothing changed, for a routine this machine
// cannot run. Tests and benchmarks compare the routines with it.
Napi::Value ForcePatternRoutineBinding(const Napi::CallbackInfo& info) {
  const std::string name = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : std::string();
#if defined(__x86_64__)
  const char* vector16 = "sse2";
#else
  const char* vector16 = "neon";
#endif
  PatternRoutine routine;
  if (name == "auto") {
    routine = PatternRoutine::kAuto;
  } else if (name == vector16) {
    routine = PatternRoutine::kVector16;
  } else if (name == "avx2") {
    routine = PatternRoutine::kAvx2;
  } else {
    return Napi::Boolean::New(info.Env(), false);
  }
  return Napi::Boolean::New(info.Env(), ForcePatternRoutine(routine));
}

// _patternRoutine() -> 'sse2', 'avx2' or 'neon': the routine pattern searches run now.
Napi::Value PatternRoutineBinding(const Napi::CallbackInfo& info) {
#if defined(__x86_64__)
  const char* vector16 = "sse2";
#else
  const char* vector16 = "neon";
#endif
  return Napi::String::New(info.Env(), CurrentPatternRoutine() == PatternRoutine::kAvx2 ? "avx2" : vector16);
}

}  // namespace

void InitInspect(Napi::Env env, Napi::Object exports, EnvData* data) {
  const Accessors local = NewAccessors<LocalAccess>(env, data);
  exports.Set("readers", local.readers);
  exports.Set("writers", local.writers);
  const Accessors remote = NewAccessors<RemoteAccess>(env, data);
  exports.Set("remoteReaders", remote.readers);
  exports.Set("remoteWriters", remote.writers);
  ExportRaw(env, exports, "readCString", ReadCStringBinding, data);
  ExportRaw(env, exports, "readUtf8", ReadUtf8Binding, data);
  ExportRaw(env, exports, "readUtf16", ReadUtf16Binding, data);
  ExportRaw(env, exports, "readProcessString", ReadProcessStringBinding, data);
  exports.Set("scanMemory", Napi::Function::New(env, ScanMemoryBinding, "scanMemory", data));
  exports.Set("scanMemoryAsync", Napi::Function::New(env, ScanMemoryAsyncBinding, "scanMemoryAsync", data));
  exports.Set("_forcePatternRoutine", Napi::Function::New(env, ForcePatternRoutineBinding, "_forcePatternRoutine", data));
  exports.Set("_patternRoutine", Napi::Function::New(env, PatternRoutineBinding, "_patternRoutine", data));
  Napi::Object states = Napi::Object::New(env);
  states.Set("done", static_cast<double>(kScanDone));
  states.Set("limited", static_cast<double>(kScanLimited));
  states.Set("faulted", static_cast<double>(kScanFaulted));
  exports.Set("scanStates", states);
}

}  // namespace memprobe
