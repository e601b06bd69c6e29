// Loads a memprobe addon built for musl under musl's dynamic loader, the way Node on Alpine would: dlopen with
// every symbol bound at once (RTLD_NOW), so a C library call the addon needs and musl lacks, or TLS musl
// cannot place in a library loaded after start-up (initial-exec), fails here as it would in Node. Node's own
// functions (Node-API, libuv) come from a generated file of stubs that this program exports (-rdynamic); none
// may run while the addon loads, so each one aborts naming itself.
// RTLD_LAZY would not do: musl defers a function it cannot find until the first call, and the load passes.
// Usage: load_addon <path to memprobe.node>
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s <addon.node>\n", argv[0]);
    return 2;
  }
  void* addon = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
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
