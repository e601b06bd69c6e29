# Test only: never built at a user's install (the package's binding.gyp does not list it). The test helper
# (test/helpers/foreign.ts) builds it for the running Node into a cache.
{
  "targets": [
    {
      "target_name": "foreign_handlers",
      "sources": ["foreign_handlers.cc"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-Wall", "-Wextra", "-O1"],
      "libraries": ["-lrt"]
    }
  ]
}
