// C driver code built with POOL_TAGGING (pool_untagged_calls.c).
#ifndef KEMU_TESTS_UNIT_POOL_UNTAGGED_CALLS_H_
#define KEMU_TESTS_UNIT_POOL_UNTAGGED_CALLS_H_

#include <wdm.h>

#ifdef __cplusplus
extern "C" {
#endif

PVOID PoolTaggingAllocate(SIZE_T Bytes);
PVOID PoolTaggingAllocateWithQuota(SIZE_T Bytes);

#ifdef __cplusplus
}
#endif

#endif  // KEMU_TESTS_UNIT_POOL_UNTAGGED_CALLS_H_
