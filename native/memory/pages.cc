#include "memory/pages.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace memprobe {

SystemCallResult MapAnonymous(size_t length, int protection) {
  void* p = mmap(nullptr, length, protection, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? Failed("mmap") : Succeeded(reinterpret_cast<uintptr_t>(p));
}

namespace {

FileKind KindOf(mode_t mode) {
  if (S_ISREG(mode)) return FileKind::kRegular;
  if (S_ISDIR(mode)) return FileKind::kDirectory;
  if (S_ISFIFO(mode)) return FileKind::kFifo;
  if (S_ISSOCK(mode)) return FileKind::kSocket;
  if (S_ISCHR(mode)) return FileKind::kCharacterDevice;
  if (S_ISBLK(mode)) return FileKind::kBlockDevice;
  return FileKind::kOther;
}

}  // namespace

MapFileResult MapFile(const char* path, size_t length, bool shared, bool writable) {
  // A private writable mapping only needs read access to the file. O_NONBLOCK: opening a FIFO would otherwise
  // wait for a writer; O_NOCTTY: a terminal must not become our controlling terminal. The kind is checked on
  // the descriptor, so the file cannot be swapped between the check and the map.
  const int fd = open(path, (writable && shared ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return MapFileResult{Failed("open"), FileKind::kRegular};
  struct stat status;
  if (fstat(fd, &status) != 0) {
    const SystemCallResult failed = Failed("fstat");
    close(fd);
    return MapFileResult{failed, FileKind::kRegular};
  }
  const FileKind kind = KindOf(status.st_mode);
  if (kind != FileKind::kRegular) {
    close(fd);
    return MapFileResult{Succeeded(), kind};
  }
  const int protection = PROT_READ | (writable ? PROT_WRITE : 0);
  void* p = mmap(nullptr, length, protection, shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
  const SystemCallResult result = p == MAP_FAILED ? Failed("mmap") : Succeeded(reinterpret_cast<uintptr_t>(p));
  close(fd);  // the mapping keeps its own reference to the file
  return MapFileResult{result, FileKind::kRegular};
}

SystemCallResult Protect(uintptr_t address, size_t length, int protection) {
  return FromReturnCode(mprotect(reinterpret_cast<void*>(address), length, protection), "mprotect");
}

SystemCallResult Unmap(uintptr_t address, size_t length) {
  return FromReturnCode(munmap(reinterpret_cast<void*>(address), length), "munmap");
}

}  // namespace memprobe
