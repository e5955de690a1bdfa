// kemu_wdk_driver_runtime.h — ExInitializeDriverRuntime, the one call in DriverEntry that adapts
// a single driver binary's opt-ins to the Windows release it runs on.
//
// - POOL_NX_OPTIN=1 (with DrvRtPoolNxOptIn): NonPagedPool names the driver's
//   ExDefaultNonPagedPoolType, NonPagedPoolNx from Windows 8 on and NonPagedPoolExecute before;
//   ExDefaultMdlProtection becomes MdlMappingNoExecute from Windows 8 on, 0 before.
// - POOL_ZERO_DOWN_LEVEL_SUPPORT: ExPoolZeroingNativelySupported (kemu_wdk_mm.h) says whether the
//   kernel zeroes on request (Windows 10 version 2004, build 19041, and later), so that the
//   ExAllocatePool*Zero helpers zero the block themselves on older releases.
//
// Both are globals of the driver on Windows; kemu links drivers and tests into one program, so
// there is one of each, and each test's driver sets them again in its DriverEntry.
//
//   #define POOL_NX_OPTIN 1
//   #include <wdm.h>
//   NTSTATUS DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING path) {
//     ExInitializeDriverRuntime(DrvRtPoolNxOptIn);
//     PVOID block = ExAllocatePoolWithTag(NonPagedPool, 64, 'umek');  // Nx on Windows 8 and up
//     ...
//   }
#ifndef KEMU_WDK_DRIVER_RUNTIME_H_
#define KEMU_WDK_DRIVER_RUNTIME_H_

#include "kemu_wdk_base.h"
#include "kemu_wdk_mm.h"
#include "kemu_wdk_rtl.h"

typedef enum _DRIVER_RUNTIME_INIT_FLAGS KEMU_WDK_ENUM_INT {
  DrvRtPoolNxOptIn = 0x00000001
} DRIVER_RUNTIME_INIT_FLAGS;

#if defined(POOL_NX_OPTIN) && POOL_NX_OPTIN && !(defined(POOL_NX_OPTOUT) && POOL_NX_OPTOUT)
#define KEMU_WDK_POOL_NX_OPTIN 1
KEMU_WDK_BEGIN_DECLS
DECLSPEC_SELECTANY POOL_TYPE ExDefaultNonPagedPoolType = NonPagedPoolExecute;
DECLSPEC_SELECTANY ULONG ExDefaultMdlProtection = 0;
KEMU_WDK_END_DECLS
// After the enumeration: from here on the driver's NonPagedPool is the variable.
#define NonPagedPool ExDefaultNonPagedPoolType
#else
#define KEMU_WDK_POOL_NX_OPTIN 0
#endif

#ifdef POOL_ZERO_DOWN_LEVEL_SUPPORT
#define KEMU_WDK_POOL_ZERO_DOWN_LEVEL 1
#else
#define KEMU_WDK_POOL_ZERO_DOWN_LEVEL 0
#endif

KEMU_WDK_BEGIN_DECLS

/// PASSIVE_LEVEL, before the driver's first allocation. RuntimeFlags: DrvRtPoolNxOptIn or 0. A
/// driver built with neither opt-in makes no kernel call here.
KEMU_WDK_BUILD_INLINE VOID ExInitializeDriverRuntime(ULONG RuntimeFlags) {
  if (!KEMU_WDK_POOL_NX_OPTIN && !KEMU_WDK_POOL_ZERO_DOWN_LEVEL) return;
  RTL_OSVERSIONINFOW version;
  __builtin_memset(&version, 0, sizeof(version));
  version.dwOSVersionInfoSize = sizeof(version);
  if (!NT_SUCCESS(RtlGetVersion(&version))) return;
#if KEMU_WDK_POOL_NX_OPTIN
  if ((RuntimeFlags & DrvRtPoolNxOptIn) != 0 &&
      (version.dwMajorVersion > 6 ||
       (version.dwMajorVersion == 6 && version.dwMinorVersion >= 2))) {
    ExDefaultNonPagedPoolType = NonPagedPoolNx;
    ExDefaultMdlProtection = MdlMappingNoExecute;
  }
#endif
#if KEMU_WDK_POOL_ZERO_DOWN_LEVEL
  ExPoolZeroingNativelySupported =
      (BOOLEAN)(version.dwMajorVersion >= 10 && version.dwBuildNumber >= 19041);
#endif
  (void)RuntimeFlags;
}

KEMU_WDK_END_DECLS

#endif  // KEMU_WDK_DRIVER_RUNTIME_H_
