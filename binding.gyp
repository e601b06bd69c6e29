{
  "target_defaults": {
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "_GNU_SOURCE"],
    "cflags": ["-Wall", "-Wextra", "-Werror", "-fvisibility=hidden", "-flto=auto"],
    "ldflags": ["-flto=auto"]
  },
  "targets": [
    {
      "target_name": "memprobe",
      "sources": [
        "native/addon.cc",
        "native/binding_support.cc",
        "native/copy.cc",
        "native/copy_binding.cc",
        "native/fault.cc",
        "native/forward_copy.cc",
        "native/guard.cc",
        "native/guard_binding.cc",
        "native/machine.cc",
        "native/masking_demo.cc",
        "native/pages.cc",
        "native/pages_binding.cc",
        "native/proc_status.cc",
        "native/signal_copy.cc",
        "native/signal_forward.cc",
        "native/signal_hub.cc",
        "native/signal_send.cc",
        "native/signals_binding.cc",
        "native/stack_gap.cc",
        "native/syscall_copy.cc",
        "native/thread_masks.cc"
      ]
    },
    {
      "target_name": "memprobe_bench_floor",
      "sources": ["bench/native/floor.cc"]
    }
  ]
}
