// Loads a memprobe addon built for musl under musl's dynamic loader, the way Node on Alpine would: dlopen with
// RTLD_LAZY, Node's default for process.dlopen. musl binds every symbol at load all the same, so a C library
// function the addon needs and musl lacks ("getcontext: symbol not found"), or initial-exec TLS that musl cannot
// place in a library loaded after start-up ("initial-exec TLS resolves to dynamic definition"), fails here as
// it would in Node. Node's own functions (Node-API, libuv) come from a generated file of stubs that this program
// exports (-rdynamic); none may run while the addon loads, so each one aborts naming itself.
// Usage: load_addon <path to memprobe.node>
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s <addon.node>\n", argv[0]);
    return 2;
  }
  void* addon = dlopen(argv[1], RTLD_LAZY | RTLD_LOCAL);
  if (addon == NULL) {
    fprintf(stderr, "dlopen failed: %s\n", dlerror());
    return 1;
  }
  // What Node calls next: the module's Node-API entry point must be there.
  void* entry = dlsym(addon, "napi_register_module_v1");
  if (entry == NULL) {
    fprintf(stderr, "loaded, but napi_register_module_v1 is missing: %s\n", dlerror());
    return 1;
  }
  printf("loaded %s under musl; napi_register_module_v1 at %p\n", argv[1], entry);
  return 0;
}
