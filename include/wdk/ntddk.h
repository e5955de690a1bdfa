// ntddk.h — kemu's NTDDK header: everything in <wdm.h> plus the non-WDM kernel surface.
//
// <wdm.h> plus the routines only ntddk.h declares that kemu models: the HAL's bus-data routines
// (kemu_wdk_bus_data.h), with which legacy (non-WDM) drivers read their PCI configuration space.
//
//   #include <ntddk.h>
//   #include <iointex.h>
#ifndef KEMU_WDK_NTDDK_H_
#define KEMU_WDK_NTDDK_H_

#include "kemu_wdk_bus_data.h"
#include "wdm.h"

#endif  // KEMU_WDK_NTDDK_H_
