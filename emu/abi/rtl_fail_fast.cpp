// RtlFailFast and FatalListEntryError: the fast fail of the WDK's inline list routines in drivers
// built for Windows 8 and later (kemu_wdk_base.h), and of a driver's own RtlFailFast call.
// Bug check 0x139 KERNEL_SECURITY_CHECK_FAILURE with the code (docs/kernel.md, "Interlocked lists
// and device queues").
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

VOID RtlFailFast(ULONG Code) {
  kemu::model::Kernel& kernel = KEMU_ENTER(RtlFailFast, KEMU_ARG(Code));
  kernel.verifier().FailFast(Code);
}

VOID FatalListEntryError(PVOID Entry, PVOID Neighbour, PVOID Link) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(FatalListEntryError, KEMU_ARG(Entry), KEMU_ARG(Neighbour), KEMU_ARG(Link));
  kernel.verifier().ListLinksDisagree(Entry, Neighbour, Link);
}

}  // extern "C"
