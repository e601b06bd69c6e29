{
  # Native helpers of the benchmarks only, built on demand by bench/native-build.js (never at a user's install).
  "targets": [
    {
      "target_name": "memprobe_bench_floor",
      "sources": ["native/floor.cc"],
      "cflags": ["-Wall", "-Wextra", "-Werror"]
    },
    {
      "target_name": "memprobe_bench_fault",
      "sources": ["native/fault_round_trip.cc"],
      "cflags": ["-Wall", "-Wextra", "-Werror"]
    },
    {
      "target_name": "memprobe_bench_first_touch",
      "sources": ["native/first_touch.cc"],
      "cflags": ["-Wall", "-Wextra", "-Werror"]
    }
  ]
}
