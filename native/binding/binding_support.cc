#include "binding/binding_support.h"

#include <stdio.h>

#include "common/libc.h"

namespace memprobe {

napi_value MakeSystemError(napi_env env, const EnvData& data, int error, const char* syscall, int pid,
                           const char* path) {
  const char* name = ErrnoName(error);
  const char* description = ErrnoDescription(error);
  napi_value argv[6];
  napi_value constructor;
  napi_value exception;
  if (napi_get_reference_value(env, data.system_error_class, &constructor) != napi_ok || constructor == nullptr ||
      napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &argv[0]) != napi_ok ||
      napi_create_string_utf8(env, name ? name : "UNKNOWN", NAPI_AUTO_LENGTH, &argv[1]) != napi_ok ||
      napi_create_int32(env, error, &argv[2]) != napi_ok ||
      napi_create_string_utf8(env, description ? description : "unknown error", NAPI_AUTO_LENGTH, &argv[3]) !=
          napi_ok ||
      (pid != 0 ? napi_create_int32(env, pid, &argv[4]) : napi_get_undefined(env, &argv[4])) != napi_ok ||
      (path != nullptr ? napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &argv[5])
                       : napi_get_undefined(env, &argv[5])) != napi_ok ||
      napi_new_instance(env, constructor, 6, argv, &exception) != napi_ok) {
    return nullptr;
  }
  return exception;
}

napi_value MakeSystemError(napi_env env, const EnvData& data, const SystemCallResult& result, int pid) {
  const napi_value exception = MakeSystemError(env, data, result.error, result.syscall, pid);
  if (exception == nullptr || result.cause_error == 0 || result.cause_file == nullptr) return exception;
  char path[64];
  if (pid == 0) {
    snprintf(path, sizeof path, "/proc/self/%s", result.cause_file);
  } else {
    snprintf(path, sizeof path, "/proc/%d/%s", pid, result.cause_file);
  }
  const napi_value cause = MakeSystemError(env, data, result.cause_error, "open", pid, path);
  // As Error's constructor sets `cause`: an own property, not enumerable.
  const napi_property_descriptor property = {"cause", nullptr, nullptr, nullptr, nullptr, cause,
                                             static_cast<napi_property_attributes>(napi_writable | napi_configurable),
                                             nullptr};
  if (cause != nullptr) napi_define_properties(env, exception, 1, &property);
  return exception;
}

bool ThrowIfFailed(Napi::Env env, const EnvData& data, const SystemCallResult& result, int pid) {
  if (result.error == 0) return false;
  const napi_value exception = MakeSystemError(env, data, result, pid);
  if (exception != nullptr) napi_throw(env, exception);
  return true;
}

void ThrowSystemError(Napi::Env env, const EnvData& data, int error, const char* syscall, int pid) {
  const napi_value exception = MakeSystemError(env, data, error, syscall, pid);
  if (exception != nullptr) napi_throw(env, exception);
}

// --- AsyncJob ---

namespace {

// Whether JavaScript may run in the environment now. N-API has no query for it before version 10's
// napi_cannot_run_js status; napi_coerce_to_bool of a primitive runs only the check every JavaScript-running call
// starts with (the environment can still call into JavaScript, no exception is pending), and cannot run any.
bool CanRunJavaScript(napi_env env) {
  napi_value undefined;
  napi_value result;
  return napi_get_undefined(env, &undefined) == napi_ok && napi_coerce_to_bool(env, undefined, &result) == napi_ok;
}

}  // namespace

void AsyncJob::KeepAlive(napi_env env, napi_value value) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || (type != napi_object && type != napi_function)) return;
  napi_ref ref = nullptr;
  if (napi_create_reference(env, value, 1, &ref) == napi_ok) kept_alive_.push_back(ref);
}

napi_value AsyncJob::Start(napi_env env, const char* resource_name) {
  napi_value promise;
  napi_value name;
  if (napi_create_promise(env, &deferred_, &promise) != napi_ok ||
      napi_create_string_utf8(env, resource_name, NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, nullptr, name, OnExecute, OnComplete, this, &work_) != napi_ok ||
      napi_queue_async_work(env, work_) != napi_ok) {
    // Nothing is queued: the call throws (the promise, if one was created, is never returned), and frees all.
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && !pending) {
      napi_throw_error(env, nullptr, "memprobe: could not queue work on the libuv threadpool");
    }
    if (work_ != nullptr) napi_delete_async_work(env, work_);
    for (napi_ref ref : kept_alive_) napi_delete_reference(env, ref);
    delete this;
    return nullptr;
  }
  return promise;
}

void AsyncJob::OnExecute(napi_env, void* data) { static_cast<AsyncJob*>(data)->Execute(); }

void AsyncJob::OnComplete(napi_env env, napi_status status, void* data) {
  AsyncJob* job = static_cast<AsyncJob*>(data);
  napi_handle_scope scope;
  const bool scoped = napi_open_handle_scope(env, &scope) == napi_ok;
  // In an environment going away the promise can never be observed: it is left unsettled. (Its deferred handle is
  // freed only by settling; it goes with the isolate.)
  if (status == napi_ok && CanRunJavaScript(env)) {
    bool rejected = false;
    napi_value value = job->Settle(env, &rejected);
    if (value == nullptr) {
      // The exception that stopped it, or an error that says so: a promise of a live environment always settles.
      rejected = true;
      bool pending = false;
      if (napi_is_exception_pending(env, &pending) != napi_ok || !pending ||
          napi_get_and_clear_last_exception(env, &value) != napi_ok) {
        napi_value message;
        value = nullptr;
        if (napi_create_string_utf8(env, "memprobe: could not build the result", NAPI_AUTO_LENGTH, &message) ==
            napi_ok) {
          napi_create_error(env, nullptr, message, &value);
        }
      }
    }
    // Each call's failure is a status: the environment may have started going away since the check.
    if (value != nullptr) {
      if (rejected) {
        napi_reject_deferred(env, job->deferred_, value);
      } else {
        napi_resolve_deferred(env, job->deferred_, value);
      }
    }
  }
  for (napi_ref ref : job->kept_alive_) napi_delete_reference(env, ref);
  napi_delete_async_work(env, job->work_);
  if (scoped) napi_close_handle_scope(env, scope);
  delete job;
}

void ExportFunctions(Napi::Env env, Napi::Object exports, EnvData* data, std::initializer_list<ExportedFunction> functions) {
  for (const ExportedFunction& entry : functions) exports.Set(entry.name, Napi::Function::New(env, entry.function, entry.name, data));
}

}  // namespace memprobe
