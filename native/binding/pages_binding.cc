// N-API surface of addressOf and the page fixtures (mmap, mprotect, munmap, file mappings).
#include <sys/mman.h>

#include <string>

#include "binding/bindings.h"
#include "common/machine.h"
#include "memory/arch.h"
#include "memory/pages.h"

namespace memprobe {

namespace {

Napi::Value AddressOf(const Napi::CallbackInfo& info) {
  void* data = nullptr;
  napi_get_buffer_info(info.Env(), info[0], &data, nullptr);
  return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(reinterpret_cast<uintptr_t>(data)));
}

// Test hook: an External, the kind of pointer object FFI libraries such as koffi 2.x hand out.
Napi::Value MakeExternal(const Napi::CallbackInfo& info) {
  static int target;
  return Napi::External<int>::New(info.Env(), &target);
}

uintptr_t AddressArgument(const Napi::Value& value) {
  bool lossless;
  return static_cast<uintptr_t>(value.As<Napi::BigInt>().Uint64Value(&lossless));
}

Napi::Value ReturnOrThrow(const Napi::CallbackInfo& info, const SystemCallResult& result) {
  if (ThrowIfFailed(info.Env(), *static_cast<EnvData*>(info.Data()), result)) return info.Env().Undefined();
  return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(result.value));
}

// mapAnonymous(length, prot) -> bigint address
Napi::Value MapAnonymousBinding(const Napi::CallbackInfo& info) {
  return ReturnOrThrow(info, MapAnonymous(static_cast<size_t>(info[0].As<Napi::Number>().Int64Value()),
                                          info[1].As<Napi::Number>().Int32Value()));
}

const char* FileKindName(FileKind kind) {
  switch (kind) {
    case FileKind::kRegular:
      return "a regular file";
    case FileKind::kDirectory:
      return "a directory";
    case FileKind::kFifo:
      return "a FIFO";
    case FileKind::kSocket:
      return "a socket";
    case FileKind::kCharacterDevice:
      return "a character device";
    case FileKind::kBlockDevice:
      return "a block device";
    case FileKind::kOther:
      break;
  }
  return "neither a regular file nor a known kind of file";
}

// mapFile(path, length, shared, writable) -> bigint address, or a string saying what the path names when it
// is not a regular file (lib/memory/pages.ts turns that into the argument error). lib checked the path for NUL bytes.
Napi::Value MapFileBinding(const Napi::CallbackInfo& info) {
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  const MapFileResult mapped = MapFile(path.c_str(), static_cast<size_t>(info[1].As<Napi::Number>().Int64Value()),
                                       info[2].ToBoolean(), info[3].ToBoolean());
  if (mapped.kind != FileKind::kRegular) return Napi::String::New(info.Env(), FileKindName(mapped.kind));
  return ReturnOrThrow(info, mapped.call);
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

}  // namespace

void InitPages(Napi::Env env, Napi::Object exports, EnvData* data) {
  ExportFunctions(env, exports, data,
                  {
                      {"addressOf", AddressOf},
                      {"_makeExternal", MakeExternal},
                      {"mapAnonymous", MapAnonymousBinding},
                      {"mapFile", MapFileBinding},
                      {"protect", ProtectBinding},
                      {"unmap", UnmapBinding},
                  });
  exports.Set("pageSize", Napi::Number::New(env, static_cast<double>(GetMachine().page_size)));
  // What lib/ must not hard-code: the page size, where user space ends, which processor (arch.h).
  Napi::Object machine = Napi::Object::New(env);
  machine.Set("pageSize", Napi::Number::New(env, static_cast<double>(GetMachine().page_size)));
  machine.Set("userAddressEnd", Napi::BigInt::New(env, static_cast<uint64_t>(arch::UserAddressEnd())));
  machine.Set("architecture", Napi::String::New(env, arch::kName));
  machine.Set("nonCanonicalAddresses", Napi::Boolean::New(env, arch::IsNonCanonical(arch::UserAddressEnd())));
  machine.Set("topByteIgnore", Napi::Boolean::New(env, arch::Comparable(~uintptr_t{0}) != ~uintptr_t{0}));
  // Facts tests and the fuzzer's model key on instead of the architecture's name: whether the guard can leave a
  // handler without sigreturn, and whether a `--x` page may fault a load.
  machine.Set("fastExit", Napi::Boolean::New(env, arch::kHasFastExit));
  machine.Set("executeOnlyPages", Napi::Boolean::New(env, arch::ExecuteOnlyMayBeUnreadable()));
  machine.Freeze();
  exports.Set("machine", machine);
  Napi::Object protections = Napi::Object::New(env);
  protections.Set("none", PROT_NONE);
  protections.Set("r", PROT_READ);
  protections.Set("rw", PROT_READ | PROT_WRITE);
  protections.Set("rx", PROT_READ | PROT_EXEC);
  protections.Set("rwx", PROT_READ | PROT_WRITE | PROT_EXEC);
  exports.Set("protections", protections);
}

}  // namespace memprobe
