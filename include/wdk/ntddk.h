// ntddk.h — kemu's NTDDK header: everything in <wdm.h> plus the non-WDM kernel surface.
//
// <wdm.h> plus the routines only ntddk.h declares that kemu models: the HAL's routines with which
// legacy (non-WDM) drivers read their PCI configuration space and map their interrupt
// (kemu_wdk_legacy_bus.h), the run-time library's 8-bit string routines and a few more string
// helpers (kemu_wdk_ntddk_rtl.h), and MmIsAddressValid and MmGetPhysicalAddress
// (kemu_wdk_ntddk_mm.h).
//
//   #include <ntddk.h>
//   #include <iointex.h>
#ifndef KEMU_WDK_NTDDK_H_
#define KEMU_WDK_NTDDK_H_

#include "kemu_wdk_legacy_bus.h"
#include "kemu_wdk_ntddk_mm.h"
#include "kemu_wdk_ntddk_rtl.h"
#include "wdm.h"

#endif  // KEMU_WDK_NTDDK_H_
