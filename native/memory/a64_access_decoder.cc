// The A64 load/store decoder (a64_access_decoder.h says why it is built everywhere).
#include "memory/a64_access_decoder.h"

namespace memprobe::arch {

namespace {

bool Bit(uint32_t word, int bit) { return (word >> bit) & 1; }
uint32_t Bits(uint32_t word, int high, int low) { return (word >> low) & ((uint32_t{1} << (high - low + 1)) - 1); }

FaultAccess FromLoadBit(uint32_t word) { return Bit(word, 22) ? FaultAccess::kRead : FaultAccess::kWrite; }

// The single-register forms (immediate, unscaled, pre/post-index, unprivileged, register offset): opc (23:22)
// 00 stores; for general registers every other opc loads (signed loads, PRFM); for SIMD&FP bit 22 says load.
FaultAccess FromOpc(uint32_t word) {
  if (Bit(word, 26)) return FromLoadBit(word);
  return Bits(word, 23, 22) == 0 ? FaultAccess::kWrite : FaultAccess::kRead;
}

// The A64 "Loads and Stores" group (Arm ARM C4.1.88), by op0 bits 29:28, op1 (26), op2 (24:23), op3 (21:16) and
// op4 (11:10).
}  // namespace

FaultAccess DecodeA64Access(uint32_t word) {
  if ((word & 0xffffffe0) == 0xd50b7420) return FaultAccess::kWrite;  // DC ZVA: a store of zeros
  if (!Bit(word, 27) || Bit(word, 25)) return FaultAccess::kUnknown;   // not a load or store (SVE included)
  switch (Bits(word, 29, 28)) {
    case 0:
      if (Bit(word, 26)) return Bit(word, 31) ? FaultAccess::kUnknown : FromLoadBit(word);  // SIMD structures
      if (Bit(word, 24)) return FaultAccess::kUnknown;
      // Exclusives (pairs too) and ordered accesses say L in bit 22; compare-and-swap (o2 = 1, o1 = 1) and
      // compare-and-swap pair (size 0x, o2 = 0, o1 = 1) read and write, and their L says acquire, not load.
      if (Bit(word, 23) && Bit(word, 21)) return FaultAccess::kWrite;
      if (!Bit(word, 31) && !Bit(word, 23) && Bit(word, 21)) return FaultAccess::kWrite;
      return FromLoadBit(word);
    case 1:
      if (!Bit(word, 24)) return FaultAccess::kRead;                // LDR (literal), PRFM (literal)
      if (!Bit(word, 21) && Bits(word, 11, 10) == 0) return FromOpc(word);  // LDAPUR/STLUR
      return FaultAccess::kUnknown;                                 // memory-tagging stores and loads
    case 2:
      return FromLoadBit(word);  // pairs, all forms
    default:
      if (Bit(word, 24) || !Bit(word, 21) || Bits(word, 11, 10) == 2) return FromOpc(word);
      if (Bits(word, 11, 10) == 0) {
        // Atomic memory operations read and write (o3 = 0, and SWP: o3 = 1, opc = 000). The rest of o3 = 1:
        // LDAPR (opc = 100) and LD64B (101) only read; ST64B (001), ST64BV0 (010) and ST64BV (011) only write.
        if (Bit(word, 26)) return FaultAccess::kUnknown;
        if (Bit(word, 15) && (Bits(word, 14, 12) == 4 || Bits(word, 14, 12) == 5)) return FaultAccess::kRead;
        return FaultAccess::kWrite;
      }
      return Bit(word, 26) ? FaultAccess::kUnknown : FaultAccess::kRead;  // LDRAA/LDRAB
  }
}


}  // namespace memprobe::arch
