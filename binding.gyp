{
  # Only the addon: what a user's install builds. The benchmark builds its own floor addon (bench/binding.gyp).
  # -Werror is for development and CI only (scripts/install.js turns it on in a checkout): a newer compiler's
  # warning, or Node's C++20 headers, must never break a user's `npm install`.
  "variables": {
    "memprobe_werror%": "false"
  },
  "target_defaults": {
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native"],
    "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "_GNU_SOURCE"],
    "cflags": ["-Wall", "-Wextra", "-fvisibility=hidden", "-flto=auto"],
    "ldflags": ["-flto=auto"],
    "conditions": [
      ["memprobe_werror=='true'", {"cflags": ["-Werror"]}]
    ]
  },
  "targets": [
    {
      "target_name": "memprobe",
      "sources": [
        "native/binding/addon.cc",
        "native/binding/binding_support.cc",
        "native/binding/copy_binding.cc",
        "native/binding/exit_binding.cc",
        "native/binding/guard_binding.cc",
        "native/binding/inspect_binding.cc",
        "native/binding/pages_binding.cc",
        "native/binding/probe_binding.cc",
        "native/binding/signal_loop_reader.cc",
        "native/binding/signals_binding.cc",
        "native/binding/track_writes_binding.cc",
        "native/binding/watch_binding.cc",
        "native/common/machine.cc",
        "native/inspect/pattern_scan.cc",
        "native/inspect/remote_access.cc",
        "native/inspect/strings.cc",
        "native/inspect/typed_access.cc",
        "native/memory/a64_access_decoder.cc",
        "native/memory/copy.cc",
        "native/memory/executable.cc",
        "native/memory/fault.cc",
        "native/memory/fault_chain.cc",
        "native/memory/fault_claims.cc",
        "native/memory/guard.cc",
        "native/memory/guarded_regions.cc",
        "native/memory/pages.cc",
        "native/memory/signal_copy.cc",
        "native/memory/stack_gap.cc",
        "native/memory/syscall_copy.cc",
        "native/probe/guard_regions.cc",
        "native/probe/map_list.cc",
        "native/probe/map_query.cc",
        "native/probe/page_table.cc",
        "native/probe/populated_only.cc",
        "native/probe/probe.cc",
        "native/probe/remote_probe.cc",
        "native/probe/scan.cc",
        "native/signals/child_handoff.cc",
        "native/signals/masking_demo.cc",
        "native/signals/proc_status.cc",
        "native/signals/signal_forward.cc",
        "native/signals/signal_hub.cc",
        "native/signals/signal_policy.cc",
        "native/signals/signal_send.cc",
        "native/signals/thread_masks.cc",
        "native/watch/access_monitor.cc",
        "native/watch/write_tracking.cc",
        "native/watch/write_tracking_pagemap_scan.cc",
        "native/watch/write_tracking_soft_dirty.cc"
      ],
      # The guarded assembly routines and the architecture layer's out-of-line parts: one file per concern and
      # architecture (native/memory/arch.h says what each architecture provides). Any other target_arch fails
      # in arch.h with a message.
      "conditions": [
        ["target_arch=='x64'", {
          "sources": [
            "native/inspect/inspect_access_x86_64.cc",
            "native/inspect/pattern_avx2_x86_64.cc",
            "native/memory/arch_x86_64.cc",
            "native/memory/forward_copy_x86_64.cc",
            "native/memory/guarded_access_x86_64.cc"
          ]
        }],
        ["target_arch=='arm64'", {
          # BTI landing pads and PAC return-address signing in every function compiled, and the BTI/PAC property in
          # each object's .note.gnu.property (the compiler writes it, for the inline-assembly files too): the `bti c`
          # of each assembly routine guards only in a library marked so. The LTO link compiles the code again, so
          # it needs the flag too. The linker marks the library only if every object linked is marked, the
          # toolchain's startup files included: Debian 12's cross toolchain's are not, so the addon built here
          # has no note (docs/design.md, Architectures); never force it (-z force-bti): their constructors have no
          # pad, and a BTI-enforcing loader kills the process at load.
          "cflags": ["-mbranch-protection=standard"],
          "ldflags": ["-mbranch-protection=standard"],
          "sources": [
            "native/inspect/inspect_access_aarch64.cc",
            "native/memory/arch_aarch64.cc",
            "native/memory/forward_copy_aarch64.cc",
            "native/memory/guarded_access_aarch64.cc"
          ]
        }]
      ]
    }
  ]
}
