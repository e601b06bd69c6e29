#include "signals/proc_status.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>

namespace memprobe {

namespace {

// The text after "<key>:" and its blanks, or nullptr.
const char* Field(const char* text, const char* key) {
  const size_t key_length = strlen(key);
  for (const char* line = text; line != nullptr && *line != '\0';) {
    if (strncmp(line, key, key_length) == 0 && line[key_length] == ':') {
      const char* value = line + key_length + 1;
      while (*value == ' ' || *value == '\t') value++;
      return value;
    }
    line = strchr(line, '\n');
    if (line != nullptr) line++;
  }
  return nullptr;
}

bool HexField(const char* text, const char* key, uint64_t* out) {
  const char* value = Field(text, key);
  if (value == nullptr) return false;
  *out = strtoull(value, nullptr, 16);
  return true;
}

}  // namespace

int ReadThreadStatus(int pid, int tid, ThreadStatus* out) {
  char path[64];
  if (pid == 0) {
    snprintf(path, sizeof path, "/proc/self/task/%d/status", tid);
  } else {
    snprintf(path, sizeof path, "/proc/%d/task/%d/status", pid, tid);
  }
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  char text[8192];
  size_t used = 0;
  for (;;) {
    const ssize_t n = read(fd, text + used, sizeof text - 1 - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      close(fd);
      return error;
    }
    if (n == 0 || used + n == sizeof text - 1) {
      used += n;
      break;
    }
    used += n;
  }
  close(fd);
  text[used] = '\0';
  if (used == 0) return ENOENT;  // the thread exited between open and read

  out->tid = tid;
  out->name[0] = '\0';
  if (const char* name = Field(text, "Name")) {
    size_t length = strcspn(name, "\n");
    if (length >= sizeof out->name) length = sizeof out->name - 1;
    memcpy(out->name, name, length);
    out->name[length] = '\0';
  }
  const bool complete = HexField(text, "SigPnd", &out->pending) && HexField(text, "ShdPnd", &out->shared_pending) &&
                        HexField(text, "SigBlk", &out->blocked) && HexField(text, "SigIgn", &out->ignored) &&
                        HexField(text, "SigCgt", &out->caught);
  return complete ? 0 : EPROTO;
}

int ListThreads(int pid, std::vector<int>* tids) {
  char path[48];
  if (pid == 0) {
    snprintf(path, sizeof path, "/proc/self/task");
  } else {
    snprintf(path, sizeof path, "/proc/%d/task", pid);
  }
  DIR* directory = opendir(path);
  if (directory == nullptr) return errno;
  tids->clear();
  while (const struct dirent* entry = readdir(directory)) {
    const int tid = atoi(entry->d_name);
    if (tid > 0) tids->push_back(tid);
  }
  closedir(directory);
  std::sort(tids->begin(), tids->end());
  return 0;
}

int ReadAllThreadStatuses(int pid, std::vector<ThreadStatus>* out) {
  std::vector<int> tids;
  const int error = ListThreads(pid, &tids);
  if (error != 0) return error;
  out->clear();
  for (int tid : tids) {
    ThreadStatus status;
    if (ReadThreadStatus(pid, tid, &status) == 0) out->push_back(status);
  }
  return 0;
}

}  // namespace memprobe
