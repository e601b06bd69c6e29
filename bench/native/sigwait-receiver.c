/* The floor for bench/signals.js: the plainest receiver of a real-time signal, one thread that blocks it and
 * takes it with sigwaitinfo. Built with cc by the benchmark (never at a user's install).
 *
 * Usage: sigwait-receiver <signo> <flood|pingpong> <count>
 * It blocks the signal, then writes "ready\n" to stderr. flood: takes signals until `count` arrived or none came
 * for a second. pingpong: after each signal writes one byte to stdout (the sender's acknowledgement). Then it
 * writes one JSON line to stderr: {"received":N,"outOfOrder":K,"last":"<ns>","times":["<ns>",…]} (CLOCK_MONOTONIC,
 * comparable with process.hrtime.bigint() in the sender; times only for pingpong).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long Now(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: sigwait-receiver <signo> <flood|pingpong> <count>\n");
    return 2;
  }
  const int signo = atoi(argv[1]);
  const int pingpong = strcmp(argv[2], "pingpong") == 0;
  const long count = atol(argv[3]);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signo);
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) return 1;
  long long *times = pingpong ? calloc((size_t)count, sizeof *times) : NULL;
  fputs("ready\n", stderr);
  fflush(stderr);

  long received = 0, out_of_order = 0;
  long long last = 0;
  const struct timespec patience = {1, 0};
  while (received < count) {
    siginfo_t info;
    const int taken = received == 0 ? sigwaitinfo(&set, &info) : sigtimedwait(&set, &info, &patience);
    if (taken < 0) break;  /* EAGAIN: a second without a signal; EINTR: stop too */
    last = Now();
    if (info.si_value.sival_int != received) out_of_order++;
    if (pingpong) {
      times[received] = last;
      if (write(1, "k", 1) != 1) break;
    }
    received++;
  }
  fprintf(stderr, "{\"received\":%ld,\"outOfOrder\":%ld,\"last\":\"%lld\",\"times\":[", received, out_of_order, last);
  for (long i = 0; pingpong && i < received; i++) fprintf(stderr, "%s\"%lld\"", i ? "," : "", times[i]);
  fputs("]}\n", stderr);
  return 0;
}
