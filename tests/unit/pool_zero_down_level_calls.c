/* A C17 driver following Microsoft's recipe for the zeroing pool helpers on releases before
 * Windows 10 version 2004: POOL_ZERO_DOWN_LEVEL_SUPPORT and ExInitializeDriverRuntime
 * (pool_zero_helpers_test.cpp). */
#define POOL_ZERO_DOWN_LEVEL_SUPPORT
#include <wdm.h>

void PoolZeroDownLevelInitialize(void) { ExInitializeDriverRuntime(0); }

/* What ExInitializeDriverRuntime found; reset between tests (one global per program). */
BOOLEAN PoolZeroDownLevelNative(void) { return ExPoolZeroingNativelySupported; }
void PoolZeroDownLevelReset(void) { ExPoolZeroingNativelySupported = FALSE; }

PVOID PoolZeroDownLevelAllocate(int Helper, SIZE_T NumberOfBytes, ULONG Tag) {
  switch (Helper) {
    case 0:
      return ExAllocatePoolZero(NonPagedPoolNx, NumberOfBytes, Tag);
    case 1:
      return ExAllocatePoolQuotaZero((POOL_TYPE)(PagedPool | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE),
                                     NumberOfBytes, Tag);
    default:
      return ExAllocatePoolPriorityZero(PagedPool, NumberOfBytes, Tag, NormalPoolPriority);
  }
}
