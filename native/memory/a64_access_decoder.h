// Telling a write from a read by decoding one A64 instruction word (the "Loads and Stores" group of the Arm ARM):
// what arch_aarch64 falls back on where a signal frame has no esr_context record (qemu-user writes none). Plain
// arithmetic on a word, so it is built on every architecture: its table test (test/access-decoder.test.ts, through
// the binding's _decodeAccess hook) runs natively in every test run, not only under an aarch64 emulator.
//
// Async-signal-safe (no memory but the word): the aarch64 handler chain calls it.
#ifndef MEMPROBE_MEMORY_A64_ACCESS_DECODER_H_
#define MEMPROBE_MEMORY_A64_ACCESS_DECODER_H_

#include <stdint.h>

#include "memory/arch.h"

namespace memprobe::arch {

// kRead or kWrite for a load or store (an access that does both, such as an atomic, is kWrite: a write is what
// the page must allow); kUnknown for anything else, or where the access depends on more than the word (SVE, MTE).
FaultAccess DecodeA64Access(uint32_t word);

}  // namespace memprobe::arch

#endif  // MEMPROBE_MEMORY_A64_ACCESS_DECODER_H_
