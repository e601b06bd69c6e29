#include "inspect/typed_access.h"

namespace memprobe {

namespace typed_access_detail {

// The single access faulted (or would have grown the stack): the copy finds the exact prefix and fault. If the
// memory became accessible meanwhile, the copy simply succeeds and so does the access.

__attribute__((noinline, cold)) bool LoadAfterFault(uintptr_t address, unsigned width, uint64_t* value,
                                                    CopyFailure* failure) {
  uint64_t bytes = 0;
  const CopyRequest request{Endpoint{reinterpret_cast<uintptr_t>(&bytes), true}, Endpoint{address, false}, width,
                            Strategy::kSignal, 0};
  if (!CopyMemory(request, failure)) return false;
  *value = bytes;
  return true;
}

__attribute__((noinline, cold)) bool StoreAfterFault(uintptr_t address, unsigned width, uint64_t value,
                                                     CopyFailure* failure) {
  uint64_t bytes = value;
  const CopyRequest request{Endpoint{address, false}, Endpoint{reinterpret_cast<uintptr_t>(&bytes), true}, width,
                            Strategy::kSignal, 0};
  return CopyMemory(request, failure);
}

}  // namespace typed_access_detail

}  // namespace memprobe
