/* A driver built with POOL_TAGGING, as WDK builds of older drivers were: ExAllocatePool and
 * ExAllocatePoolWithQuota are then the WDK's macros over the tagged routines, with the default
 * tag "Wdm ". For pool_untagged_test.cpp. */
#define POOL_TAGGING 1
#include "pool_untagged_calls.h"

#include <wdm.h>

#ifdef __cplusplus
#error "pool_untagged_calls.c must be compiled as C"
#endif

PVOID PoolTaggingAllocate(SIZE_T Bytes) { return ExAllocatePool(NonPagedPoolNx, Bytes); }

PVOID PoolTaggingAllocateWithQuota(SIZE_T Bytes) {
  return ExAllocatePoolWithQuota(PagedPool | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE, Bytes);
}
