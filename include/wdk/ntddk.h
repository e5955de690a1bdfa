// ntddk.h — kemu's NTDDK header: everything in <wdm.h> plus the non-WDM kernel surface.
//
// kemu models no routine that only ntddk.h declares, so this umbrella is <wdm.h>; it exists so
// that legacy (non-WDM) drivers compile unchanged.
//
//   #include <ntddk.h>
//   #include <iointex.h>
#ifndef KEMU_WDK_NTDDK_H_
#define KEMU_WDK_NTDDK_H_

#include "wdm.h"

#endif  // KEMU_WDK_NTDDK_H_
