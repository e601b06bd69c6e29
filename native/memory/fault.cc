#include "memory/fault.h"

#include <signal.h>

#include "memory/arch.h"

namespace memprobe {

FaultKind FaultKindFromSignal(int signo, int si_code) {
  if (signo == SIGBUS) {
    // BUS_ADRALN cannot happen with alignment checking off; a machine-check error is an object error.
    return si_code == BUS_OBJERR || si_code == BUS_MCEERR_AR || si_code == BUS_MCEERR_AO ? FaultKind::kBusObjerr
                                                                                         : FaultKind::kBusAdrerr;
  }
  // A general-protection fault: x86-64 reports non-canonical accesses so (aarch64 has no such class).
  if (arch::IsNonCanonicalTrap(signo, si_code)) return FaultKind::kNonCanonical;
  switch (si_code) {
    case SEGV_MAPERR:
      return FaultKind::kSegvMaperr;
    case SEGV_PKUERR:
      return FaultKind::kSegvPkuerr;
    default:
      return FaultKind::kSegvAccerr;    // SEGV_ACCERR and the rarer protection codes (BNDERR, shadow stack...)
  }
}

}  // namespace memprobe
