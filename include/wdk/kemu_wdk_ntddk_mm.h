// kemu_wdk_ntddk_mm.h — the memory manager's routines that Microsoft documents in <ntddk.h> only
// (<ntddk.h> includes it; <wdm.h> does not).
//
//   if (MmIsAddressValid(pointer)) { ... }  // not recommended: the answer may be stale at once
//   PHYSICAL_ADDRESS physical = MmGetPhysicalAddress(buffer);
#ifndef KEMU_WDK_NTDDK_MM_H_
#define KEMU_WDK_NTDDK_MM_H_

#include "kemu_wdk_base.h"

KEMU_WDK_BEGIN_DECLS

/// IRQL <= DISPATCH_LEVEL. TRUE when reading VirtualAddress would not fault: kemu asks the host
/// whether that byte can be read. Microsoft advises against the routine, since a valid address
/// may be unmapped right after the call.
NTKERNELAPI BOOLEAN NTAPI MmIsAddressValid(PVOID VirtualAddress);

/// Any IRQL. The physical address of BaseAddress: inside contiguous memory, its range; elsewhere a
/// physical page kemu gives the host page the first time it is asked about it; 0 for an address
/// whose page is not valid. Microsoft asks drivers to reach DMA memory through a DMA adapter
/// instead.
NTKERNELAPI PHYSICAL_ADDRESS NTAPI MmGetPhysicalAddress(PVOID BaseAddress);

KEMU_WDK_END_DECLS

#endif  // KEMU_WDK_NTDDK_MM_H_
