{
  "target_defaults": {
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native"],
    "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "_GNU_SOURCE"],
    "cflags": ["-Wall", "-Wextra", "-Werror", "-fvisibility=hidden", "-flto=auto"],
    "ldflags": ["-flto=auto"]
  },
  "targets": [
    {
      "target_name": "memprobe",
      "sources": [
        "native/binding/addon.cc",
        "native/binding/binding_support.cc",
        "native/memory/copy.cc",
        "native/binding/copy_binding.cc",
        "native/memory/fault.cc",
        "native/memory/forward_copy.cc",
        "native/memory/guard.cc",
        "native/binding/guard_binding.cc",
        "native/common/machine.cc",
        "native/signals/masking_demo.cc",
        "native/probe/guard_regions.cc",
        "native/probe/map_list.cc",
        "native/probe/probe.cc",
        "native/binding/probe_binding.cc",
        "native/probe/remote_probe.cc",
        "native/probe/scan.cc",
        "native/memory/pages.cc",
        "native/binding/pages_binding.cc",
        "native/signals/proc_status.cc",
        "native/memory/signal_copy.cc",
        "native/signals/signal_forward.cc",
        "native/signals/signal_hub.cc",
        "native/signals/signal_send.cc",
        "native/binding/signals_binding.cc",
        "native/memory/stack_gap.cc",
        "native/memory/syscall_copy.cc",
        "native/signals/thread_masks.cc"
      ]
    },
    {
      "target_name": "memprobe_bench_floor",
      "sources": ["bench/native/floor.cc"]
    }
  ]
}
