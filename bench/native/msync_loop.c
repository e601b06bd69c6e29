// The limit bench/probe.js compares probeMany with: one msync() per address, in C, nothing else. Built by the
// benchmark on demand (never at install). Reads the addresses (little-endian uint64) from the file named by argv[1],
// runs the loop argv[2] times and prints the median nanoseconds per address.
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static int by_value(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  FILE* file = fopen(argv[1], "rb");
  if (file == NULL) return 2;
  fseek(file, 0, SEEK_END);
  const size_t count = (size_t)ftell(file) / 8;
  rewind(file);
  uint64_t* addresses = malloc(count * 8);
  if (addresses == NULL || fread(addresses, 8, count, file) != count) return 2;
  fclose(file);
  const int rounds = atoi(argv[2]);
  double* samples = malloc(sizeof(double) * (size_t)rounds);
  size_t unmapped = 0;
  for (int round = 0; round < rounds; round++) {
    unmapped = 0;
    const double start = now_ns();
    for (size_t i = 0; i < count; i++) {
      const uintptr_t page = (uintptr_t)addresses[i] & ~(uintptr_t)4095;
      if (msync((void*)page, 4096, MS_ASYNC) != 0 && errno == ENOMEM) unmapped++;
    }
    samples[round] = (now_ns() - start) / (double)count;
  }
  qsort(samples, (size_t)rounds, sizeof(double), by_value);
  printf("%.3f %zu\n", samples[rounds / 2], unmapped);
  return 0;
}
