#include "memory/pages.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace memprobe {

SystemCallResult MapAnonymous(size_t length, int protection) {
  void* p = mmap(nullptr, length, protection, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? Failed("mmap") : Succeeded(reinterpret_cast<uintptr_t>(p));
}

SystemCallResult MapFile(const char* path, size_t length, bool shared, bool writable) {
  // A private writable mapping only needs read access to the file.
  const int fd = open(path, (writable && shared ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return Failed("open");
  const int protection = PROT_READ | (writable ? PROT_WRITE : 0);
  void* p = mmap(nullptr, length, protection, shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
  const SystemCallResult result = p == MAP_FAILED ? Failed("mmap") : Succeeded(reinterpret_cast<uintptr_t>(p));
  close(fd);  // the mapping keeps its own reference to the file
  return result;
}

SystemCallResult Protect(uintptr_t address, size_t length, int protection) {
  return FromReturnCode(mprotect(reinterpret_cast<void*>(address), length, protection), "mprotect");
}

SystemCallResult Unmap(uintptr_t address, size_t length) {
  return FromReturnCode(munmap(reinterpret_cast<void*>(address), length), "munmap");
}

}  // namespace memprobe
