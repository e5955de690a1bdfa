// wdm.h — kemu's WDM header: the kernel routines and types a WDM driver compiles against.
//
// An umbrella over the sectioned kemu_wdk_*.h headers; it holds no declarations of its own.
// Define NTDDI_VERSION before including it to build for an older Windows target (default
// NTDDI_WIN10); the emulated OS chosen at run time is independent of it.
//
//   #define NTDDI_VERSION NTDDI_WINXP
//   #include <wdm.h>
//   #include <iointex.h>     // IoConnectInterruptEx for pre-Vista targets
#ifndef KEMU_WDK_WDM_H_
#define KEMU_WDK_WDM_H_

#include "kemu_wdk_base.h"
#include "kemu_wdk_bitmap.h"
#include "kemu_wdk_bugcheck.h"
#include "kemu_wdk_cm.h"
#include "kemu_wdk_devprop.h"
#include "kemu_wdk_dispatch.h"
#include "kemu_wdk_dma.h"
#include "kemu_wdk_driver_runtime.h"
#include "kemu_wdk_errorlog.h"
#include "kemu_wdk_ex_timer.h"
#include "kemu_wdk_exlist.h"
#include "kemu_wdk_fast_mutex.h"
#include "kemu_wdk_hal.h"
#include "kemu_wdk_interlocked.h"
#include "kemu_wdk_io.h"
#include "kemu_wdk_ke.h"
#include "kemu_wdk_lookaside.h"
#include "kemu_wdk_mm.h"
#include "kemu_wdk_pci.h"
#include "kemu_wdk_registry.h"
#include "kemu_wdk_rtl.h"
#include "kemu_wdk_rundown.h"
#include "kemu_wdk_status.h"
#include "kemu_wdk_thread.h"
#include "kemu_wdk_workitem.h"

#endif  // KEMU_WDK_WDM_H_
