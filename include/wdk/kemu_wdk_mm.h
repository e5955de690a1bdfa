// kemu_wdk_mm.h — pool allocation, I/O-space mapping and system-routine lookup.
//
// MmGetSystemRoutineAddress answers from the emulated OS's export table, so probing for a routine
// behaves as on the Windows version under test.
//
//   UNICODE_STRING name = RTL_CONSTANT_STRING(L"IoConnectInterruptEx");
//   if (MmGetSystemRoutineAddress(&name) == NULL) { /* pre-Vista kernel: use Iointex.lib path */ }
//   PVOID buffer = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'umek');
//   ExFreePoolWithTag(buffer, 'umek');
#ifndef KEMU_WDK_MM_H_
#define KEMU_WDK_MM_H_

#include "kemu_wdk_base.h"

typedef enum _POOL_TYPE KEMU_WDK_ENUM_INT {
  NonPagedPool = 0,
  NonPagedPoolExecute = 0,
  PagedPool = 1,
  NonPagedPoolMustSucceed = 2,
  DontUseThisType = 3,
  NonPagedPoolCacheAligned = 4,
  PagedPoolCacheAligned = 5,
  NonPagedPoolCacheAlignedMustS = 6,
  MaxPoolType = 7,
  NonPagedPoolNx = 512,
  NonPagedPoolNxCacheAligned = 516
} POOL_TYPE;

typedef enum _MEMORY_CACHING_TYPE KEMU_WDK_ENUM_INT {
  MmNonCached = 0,
  MmCached = 1,
  MmWriteCombined = 2,
  MmFrameBufferCached = 2,
  MmHardwareCoherentCached = 3,
  MmNonCachedUnordered = 4,
  MmUSWCCached = 5,
  MmMaximumCacheType = 6
} MEMORY_CACHING_TYPE;

KEMU_WDK_BEGIN_DECLS

NTKERNELAPI PVOID NTAPI ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
NTKERNELAPI VOID NTAPI ExFreePoolWithTag(PVOID P, ULONG Tag);
NTKERNELAPI VOID NTAPI ExFreePool(PVOID P);

/// NULL when the emulated OS does not export SystemRoutineName.
NTKERNELAPI PVOID NTAPI MmGetSystemRoutineAddress(PUNICODE_STRING SystemRoutineName);

/// Maps device memory (a CmResourceTypeMemory range) for READ_/WRITE_REGISTER_*. kemu maps only
/// ranges inside an emulated device's BAR and returns NULL for anything else.
NTKERNELAPI PVOID NTAPI MmMapIoSpace(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes,
                                     MEMORY_CACHING_TYPE CacheType);
NTKERNELAPI VOID NTAPI MmUnmapIoSpace(PVOID BaseAddress, SIZE_T NumberOfBytes);

KEMU_WDK_END_DECLS

KEMU_WDK_STATIC_ASSERT(sizeof(POOL_TYPE) == 4, "POOL_TYPE is a 4-byte enum");
KEMU_WDK_STATIC_ASSERT(sizeof(MEMORY_CACHING_TYPE) == 4, "MEMORY_CACHING_TYPE is a 4-byte enum");

#endif  // KEMU_WDK_MM_H_
