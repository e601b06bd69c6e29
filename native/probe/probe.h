// Probing addresses of this process: what one read of a byte finds there. Plain C++, no N-API.
//
// Owns: the verdict per address (ProbeCode) and its rules. `readable` only ever comes from a real load (the guarded
// memprobe_probe_byte of memory/forward_copy.h, one instruction, recovered by the guard's PC check); a cheap kernel
// answer only rules an address out (nothing mapped there); non-canonical addresses are recognised arithmetically (memory/arch.h).
// Must never: load from the gap below [stack] (it would grow the stack), hold a lock or allocate per address (batches
// run on worker threads and the threadpool, concurrently), or be called from a signal handler.
//
// The folder native/probe/ may never: call N-API, or read a page to decide readability any other way than through
// a guarded load (this process) or process_vm_readv (another one): /proc alone never makes a page readable.
#pragma once

#include <cstddef>
#include <cstdint>

namespace memprobe {

// The values lib/probe/probe.ts exports as ProbeCode.
enum ProbeCode : uint8_t {
  kProbeReadable = 0,
  kProbeProtected = 1,     // mapped, but a read faults: SEGV_ACCERR, SEGV_PKUERR, SIGBUS (past a file's end)
  kProbeUnmapped = 2,      // SEGV_MAPERR, or nothing mapped there (the gap below [stack], the kernel half)
  kProbeNoncanonical = 3,  // outside both canonical halves of x86-64 (memory/arch.h: IsNonCanonical); never on
                           // aarch64, where such an address is unmapped, and a tagged one is its untagged alias
};


// One real load of the byte at `address` (not for the stack gap: callers check StackGapLimit first).
ProbeCode LoadVerdict(uintptr_t address);

// The verdict for one address: non-canonical arithmetic, the stack gap, then one guarded load.
ProbeCode ProbeAddress(uint64_t address);

// Verdicts for `count` addresses into `codes`. From kSnapshotBatch addresses on, the map list is read once and an
// address no mapping covers is `unmapped` without a load (a fault costs ~1-3 µs, a lookup tens of ns); without a
// readable map list every address gets its load.
inline constexpr size_t kSnapshotBatch = 32;
void ProbeAddresses(const uint64_t* addresses, uint8_t* codes, size_t count);

// Bytes from `address` (of at most `length`) that can be read before the first page that cannot: one load per
// page. The caller guarantees address + length does not pass 2^64.
size_t ReadablePrefix(uint64_t address, size_t length);

}  // namespace memprobe
