// The copy routine of the guarded fast pass, in assembly (forward_copy.cc) so that the guard needs no
// recovery point at all: a fault whose PC lies inside the routine is resumed by the handler at the routine's
// recovery label, which returns the trap. The no-fault path costs a plain call: no sigsetjmp, no TLS.
//
// Not memcpy: glibc may copy backwards or store the tail first, and then a fault would leave bytes written
// past the prefix that is really readable and writable. Invariant the exact pass relies on: all loads of a
// block come before its stores, blocks move forward, and the stores cover the destination contiguously from
// low to high addresses (exceptions are precise: at a fault every earlier store is done and no later one). A
// faulting store writes nothing on x86; on aarch64 one that straddles a page may write its part below the
// page boundary, which lies before the first byte that cannot be written, with the right bytes. So when an access
// faults, every byte already written lies before the first byte that cannot be read or written. Source and
// destination may overlap only with the destination below the source (each block is loaded before it is
// stored, and stores never reach source bytes not yet loaded): memmove's forward case.
#pragma once

#include <cstddef>
#include <cstdint>

#include "memory/guarded_regions.h"

namespace memprobe {

struct ForwardCopyResult {
  uint64_t trap;     // 0: every byte copied; otherwise EncodeTrap(signo, si_code)
  uint64_t address;  // si_addr of the fault
};

// x86-64: from this size on `rep movsb` (forward, fault-precise per iteration) matches glibc's memcpy on CPUs
// with ERMS; below it, 16-byte SSE blocks. aarch64: LDP/STP of q registers, 64 bytes a block, whatever the size.
// bench/copy.js shows the ratio against Buffer.prototype.copy.
#define MEMPROBE_REP_MOVSB_THRESHOLD 1024

extern "C" {
// Copies `length` bytes forward. Must only be called with SIGSEGV/SIGBUS unblocked and the guard installed.
// `use_fast_string_copy`: arch::UseFastStringCopy() (x86-64 `rep movsb`; ignored on aarch64).
ForwardCopyResult memprobe_forward_copy(uint8_t* dst, const uint8_t* src, size_t length, int use_fast_string_copy);
// Loads the byte at `address` (one instruction, nothing stored): trap 0 when it could be read. Same rules as
// the copy; the probe code (native/probe/) calls it, after making sure the address is not in the stack gap.
ForwardCopyResult memprobe_probe_byte(const void* address);
// [memprobe_forward_copy, memprobe_forward_copy_recover): every instruction that touches src or dst, and the
// probe's load.
// The handler resumes a fault there at memprobe_forward_copy_recover with the trap and the address in the two
// return registers (forward_copy_<arch>.cc registers the region).
extern const char memprobe_forward_copy_recover[];
}


}  // namespace memprobe
