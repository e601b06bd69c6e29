// The limit for a typed read from another process: process_vm_readv of 4 bytes in a plain C loop, with no
// language boundary. bench/other-process.js runs it once per round against the same child and address as
// readU32(address, { pid }).
//
// usage: remote_read_loop <pid> <address> <iterations>
// prints: <ns per read, wall clock> <ns per read on the CPU (this thread's, kernel time included)> <the value read>
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

static double now_ns(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

// One read, as the addon makes it: one iovec on each side, the local one on the stack.
static uint32_t read_u32(pid_t pid, uintptr_t address) {
  uint32_t value = 0;
  struct iovec local = {&value, sizeof value};
  struct iovec remote = {(void*)address, sizeof value};
  if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof value) {
    fprintf(stderr, "remote_read_loop: process_vm_readv: %s\n", strerror(errno));
    exit(1);
  }
  return value;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: remote_read_loop <pid> <address> <iterations>\n");
    return 2;
  }
  const pid_t pid = (pid_t)strtol(argv[1], NULL, 10);
  const uintptr_t address = (uintptr_t)strtoull(argv[2], NULL, 0);
  const long iterations = strtol(argv[3], NULL, 10);
  // A system call is never optimised away, so the values read need no sink.
  for (int i = 0; i < 1000; i++) read_u32(pid, address);  // warm up: page tables, caches
  const double start = now_ns(CLOCK_MONOTONIC);
  const double start_cpu = now_ns(CLOCK_THREAD_CPUTIME_ID);
  for (long i = 0; i < iterations; i++) read_u32(pid, address);
  const double cpu = now_ns(CLOCK_THREAD_CPUTIME_ID) - start_cpu;
  const double elapsed = now_ns(CLOCK_MONOTONIC) - start;
  printf("%.1f %.1f %u\n", elapsed / (double)iterations, cpu / (double)iterations, read_u32(pid, address));
  return 0;
}
