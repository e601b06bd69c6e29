// The floor any Node-API addon pays for a copy: memcpy(Buffer, BigInt address, length) with no guard and no
// checks, through raw N-API, the same arguments safeMemcpy takes. Benchmark only: it crashes on a bad address.
#include <node_api.h>
#include <string.h>

namespace {

napi_value UnguardedCopy(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  void* dst;
  size_t dst_length;
  napi_get_buffer_info(env, argv[0], &dst, &dst_length);
  uint64_t src;
  bool lossless;
  napi_get_value_bigint_uint64(env, argv[1], &src, &lossless);
  double length;
  napi_get_value_double(env, argv[2], &length);
  memcpy(dst, reinterpret_cast<const void*>(src), static_cast<size_t>(length));
  return nullptr;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_value function;
  napi_create_function(env, "unguardedCopy", NAPI_AUTO_LENGTH, UnguardedCopy, nullptr, &function);
  napi_set_named_property(env, exports, "unguardedCopy", function);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
