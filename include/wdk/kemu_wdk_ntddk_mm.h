// kemu_wdk_ntddk_mm.h — the memory manager's routines that Microsoft documents in <ntddk.h> only
// (<ntddk.h> includes it; <wdm.h> does not).
//
//   if (MmIsAddressValid(pointer)) { ... }  // not recommended: the answer may be stale at once
#ifndef KEMU_WDK_NTDDK_MM_H_
#define KEMU_WDK_NTDDK_MM_H_

#include "kemu_wdk_base.h"

KEMU_WDK_BEGIN_DECLS

/// IRQL <= DISPATCH_LEVEL. TRUE when reading VirtualAddress would not fault: kemu asks the host
/// whether that byte can be read. Microsoft advises against the routine, since a valid address
/// may be unmapped right after the call.
NTKERNELAPI BOOLEAN NTAPI MmIsAddressValid(PVOID VirtualAddress);

KEMU_WDK_END_DECLS

#endif  // KEMU_WDK_NTDDK_MM_H_
