// Page fixtures for tests, fuzzing and demos: anonymous mappings with chosen protections and file mappings.
// Thin wrappers over mmap/mprotect/munmap that report errno instead of throwing.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/system_call.h"

namespace memprobe {

// `protection` is a PROT_* combination.
SystemCallResult MapAnonymous(size_t length, int protection);

// What a path names, when MapFile refuses it: only regular files are mapped.
enum class FileKind { kRegular, kDirectory, kFifo, kSocket, kCharacterDevice, kBlockDevice, kOther };

struct MapFileResult {
  SystemCallResult call;  // the mapping's address, or the call that failed
  FileKind kind;          // not kRegular: nothing was mapped, and no call failed
};

// Opens without blocking (a FIFO would wait for a writer) and maps only a regular file.
MapFileResult MapFile(const char* path, size_t length, bool shared, bool writable);
SystemCallResult Protect(uintptr_t address, size_t length, int protection);
SystemCallResult Unmap(uintptr_t address, size_t length);

}  // namespace memprobe
