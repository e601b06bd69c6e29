// The limit bench/probe.js compares fuzz's thread scaling with: SIGSEGV round trips (a load from a PROT_NONE page,
// sigsetjmp/siglongjmp) on argv[1] threads of one process for argv[2] milliseconds, nothing else. Prints the
// faults per second of all threads together. Built by the benchmark on demand (never at install).
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static __thread sigjmp_buf recovery;
static const volatile char* protected_page;
static atomic_int stop;

static void on_fault(int signo, siginfo_t* info, void* context) {
  (void)signo, (void)info, (void)context;
  siglongjmp(recovery, 1);
}

static void* fault_loop(void* count) {
  long faults = 0;
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    if (sigsetjmp(recovery, 0) == 0) (void)*protected_page;
    faults++;
  }
  *(long*)count = faults;
  return NULL;
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  const int threads = argc > 1 ? atoi(argv[1]) : 1;
  const int ms = argc > 2 ? atoi(argv[2]) : 500;
  if (threads < 1 || threads > 64) return 2;
  protected_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = on_fault;
  action.sa_flags = SA_SIGINFO | SA_NODEFER;  // the jump leaves the handler: SIGSEGV must not stay blocked
  sigaction(SIGSEGV, &action, NULL);
  pthread_t ids[64];
  long counts[64] = {0};
  const double start = now_s();
  for (int i = 0; i < threads; i++) pthread_create(&ids[i], NULL, fault_loop, &counts[i]);
  usleep(ms * 1000);
  atomic_store(&stop, 1);
  long total = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(ids[i], NULL);
    total += counts[i];
  }
  printf("%.0f\n", total / (now_s() - start));
  return 0;
}
