#include "probe/map_list.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "memory/syscall_copy.h"

namespace memprobe {

namespace {

// Reads a whole /proc file. The kernel fills a maps read a page of text at a time, so a large buffer only saves
// system calls.
int ReadWhole(const char* path, std::string* text) {
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  size_t used = 0;
  text->resize(64 * 1024);
  for (;;) {
    if (used == text->size()) text->resize(text->size() * 2);
    const ssize_t got = read(fd, &(*text)[used], text->size() - used);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int error = errno;
      close(fd);
      return error;
    }
    if (got == 0) break;
    used += static_cast<size_t>(got);
  }
  close(fd);
  text->resize(used);
  return 0;
}

const char* ParseHex(const char* p, const char* end, uintptr_t* value) {
  uintptr_t result = 0;
  for (; p < end; p++) {
    const char c = *p;
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      break;
    }
    result = result << 4 | static_cast<uintptr_t>(digit);
  }
  *value = result;
  return p;
}

const char* SkipField(const char* p, const char* end) {
  while (p < end && *p != ' ') p++;
  while (p < end && *p == ' ') p++;
  return p;
}

bool StartsWith(const char* p, const char* end, const char* prefix) {
  const size_t length = strlen(prefix);
  return static_cast<size_t>(end - p) >= length && memcmp(p, prefix, length) == 0;
}

MapKind KindOf(const char* name, const char* end) {
  if (name == end) return MapKind::kAnonymous;
  if (*name != '[') return MapKind::kFile;
  if (StartsWith(name, end, "[heap]") || StartsWith(name, end, "[stack]") || StartsWith(name, end, "[anon:") ||
      StartsWith(name, end, "[anon_shmem:")) {
    return MapKind::kAnonymous;
  }
  return MapKind::kSpecial;
}

// "start-end perms offset dev inode   name"
bool ParseLine(const char* p, const char* end, MapEntry* entry) {
  p = ParseHex(p, end, &entry->start);
  if (p >= end || *p != '-') return false;
  p = ParseHex(p + 1, end, &entry->end);
  if (p + 5 > end || *p != ' ') return false;
  entry->read = p[1] == 'r';
  entry->write = p[2] == 'w';
  entry->execute = p[3] == 'x';
  p = SkipField(p + 1, end);  // perms
  p = SkipField(p, end);      // offset
  p = SkipField(p, end);      // device
  p = SkipField(p, end);      // inode, and the padding before the name
  entry->kind = KindOf(p, end);
  return entry->start < entry->end;
}

}  // namespace

SystemCallResult ReadMapList(pid_t pid, std::vector<MapEntry>* entries) {
  char path[64];
  if (pid == 0) {
    snprintf(path, sizeof path, "/proc/self/maps");
  } else {
    snprintf(path, sizeof path, "/proc/%d/maps", static_cast<int>(pid));
  }
  std::string text;
  const int error = ReadWhole(path, &text);
  if (error != 0) {
    // A process that is gone has no maps; the maps open makes the ptrace access check a read makes. Either is the
    // read's ESRCH or EPERM, with the open as its cause. Where no read can be made (process_vm_readv is ENOSYS:
    // a kernel without cross-memory attach, qemu-user), the open's own answer stands, ENOENT as ESRCH.
    if ((error == ENOENT || error == EACCES || error == EPERM) && pid != 0) {
      SystemCallResult readable = CheckProcessReadable(pid);
      if (readable.error != 0 && readable.error != ENOSYS) {
        readable.cause_error = error;
        readable.cause_file = "maps";
        return readable;
      }
    }
    errno = error == ENOENT ? ESRCH : error;
    return Failed("open");
  }
  // Every process with an address space maps something: only an empty list can be a zombie's.
  if (pid != 0 && text.empty()) {
    const SystemCallResult alive = CheckProcessAlive(pid);
    if (alive.error != 0) return alive;
  }
  entries->clear();
  const char* p = text.data();
  const char* const end = p + text.size();
  while (p < end) {
    const char* line_end = static_cast<const char*>(memchr(p, '\n', static_cast<size_t>(end - p)));
    if (line_end == nullptr) line_end = end;
    MapEntry entry;
    if (ParseLine(p, line_end, &entry)) entries->push_back(entry);
    p = line_end + 1;
  }
  return Succeeded();
}

SystemCallResult CheckProcessAlive(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  std::string stat;
  const int error = ReadWhole(path, &stat);
  // "pid (comm) state ...": comm may hold any byte, ')' too, so the state follows the last ')'.
  const size_t paren = stat.rfind(')');
  const char state = error == 0 && paren != std::string::npos && paren + 2 < stat.size() ? stat[paren + 2] : '?';
  if (error == 0 && state != 'Z' && state != 'X') return Succeeded();
  if (error != 0 && error != ENOENT) return Succeeded();  // unknown: the caller's own reads will tell
  // Gone by /proc. The read (of address 0, never mapped) fails with ESRCH for a process without an address space,
  // EFAULT for one with it (the pid already reused), EPERM for one this process may not read.
  uint8_t byte;
  struct iovec local = {&byte, 1};
  struct iovec remote = {nullptr, 1};
  if (process_vm_readv(pid, &local, 1, &remote, 1, 0) < 0 && errno == ESRCH) return Failed("process_vm_readv");
  return Succeeded();
}

SystemCallResult CheckProcessReadable(pid_t pid) {
  const int error = CheckProcessAccess(pid, false);
  if (error == 0) return Succeeded();
  // A kernel thread has no memory to read (ESRCH) yet is there: CheckProcessAlive tells the two apart.
  if (error == ESRCH) return CheckProcessAlive(pid);
  errno = error;
  return Failed("process_vm_readv");
}

ptrdiff_t FindMapEntry(const std::vector<MapEntry>& entries, uintptr_t address) {
  const auto after = std::upper_bound(entries.begin(), entries.end(), address,
                                      [](uintptr_t a, const MapEntry& entry) { return a < entry.start; });
  if (after == entries.begin()) return -1;
  const auto candidate = after - 1;
  return address < candidate->end ? candidate - entries.begin() : -1;
}

}  // namespace memprobe
