#include "memory/executable.h"

#include <fcntl.h>
#include <unistd.h>

namespace memprobe {

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Reads a line's "start-end perms" prefix one character at a time, then skips to its end. Lines are read in
// pieces of any size: a path may be longer than the buffer.
class MapsLineReader {
 public:
  explicit MapsLineReader(uintptr_t address) : address_(address) {}

  // Feeds one character; true once the answer is known.
  bool Feed(char c) {
    switch (field_) {
      case Field::kStart:
        if (c == '-') {
          field_ = Field::kEnd;
        } else if (HexDigit(c) >= 0) {
          start_ = start_ * 16 + static_cast<uintptr_t>(HexDigit(c));
        }
        return false;
      case Field::kEnd:
        if (c == ' ') {
          field_ = Field::kPermissions;
          permission_index_ = 0;
        } else if (HexDigit(c) >= 0) {
          end_ = end_ * 16 + static_cast<uintptr_t>(HexDigit(c));
        }
        return false;
      case Field::kPermissions:
        if (permission_index_ == 2) {
          // "rwxp": the third letter. Lines come sorted by address: the first one ending above the address
          // holds it or shows that nothing does.
          if (address_ < end_) {
            answer_ = address_ >= start_ && c == 'x' ? Executable::kYes : Executable::kNo;
            return true;
          }
        }
        if (++permission_index_ == 4) field_ = Field::kRest;
        return false;
      case Field::kRest:
        if (c == '\n') {
          field_ = Field::kStart;
          start_ = end_ = 0;
        }
        return false;
    }
    return false;
  }

  Executable answer() const { return answer_; }

 private:
  enum class Field : uint8_t { kStart, kEnd, kPermissions, kRest };
  const uintptr_t address_;
  Field field_ = Field::kStart;
  uintptr_t start_ = 0;
  uintptr_t end_ = 0;
  int permission_index_ = 0;
  Executable answer_ = Executable::kNo;  // past the last mapping: nothing holds the address
};

}  // namespace

Executable ExecutableNow(uintptr_t address) {
  const int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Executable::kUnknown;
  MapsLineReader reader(address);
  char buffer[1024];
  bool done = false;
  bool failed = false;
  while (!done) {
    const ssize_t got = read(fd, buffer, sizeof buffer);
    if (got < 0) {
      failed = true;
      break;
    }
    if (got == 0) break;
    for (ssize_t i = 0; i < got && !done; i++) done = reader.Feed(buffer[i]);
  }
  close(fd);
  return failed ? Executable::kUnknown : reader.answer();
}

}  // namespace memprobe
