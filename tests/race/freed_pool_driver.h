// A driver's request list used after one of its entries was freed, built with
// kemu_instrument_driver() like race_driver.c: each load and store is checked for freed special
// pool (docs/verifier-rules.md).
#ifndef KEMU_TESTS_RACE_FREED_POOL_DRIVER_H_
#define KEMU_TESTS_RACE_FREED_POOL_DRIVER_H_

#include <wdm.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _FREED_POOL_REQUEST {
  LIST_ENTRY Link;
  ULONG Tag;
} FREED_POOL_REQUEST;

/// Queues Count requests, tags 1..Count, on Head.
VOID FreedPoolQueue(PLIST_ENTRY Head, ULONG Count);
/// Frees the request tagged Tag; Unlink FALSE leaves it on the list (the bug).
VOID FreedPoolDrop(PLIST_ENTRY Head, ULONG Tag, BOOLEAN Unlink);
/// Walks the list to the request tagged Tag (NULL if none).
FREED_POOL_REQUEST* FreedPoolFind(PLIST_ENTRY Head, ULONG Tag);
/// Stores Value into the request's Tag (a write through a stale pointer).
VOID FreedPoolRetag(FREED_POOL_REQUEST* Request, ULONG Value);
/// Counts on the request's Tag with InterlockedIncrement (a WDK header's inline routine).
VOID FreedPoolCount(FREED_POOL_REQUEST* Request);
/// Reads the Link.Flink of the request (a pointer-sized read).
PLIST_ENTRY FreedPoolNext(FREED_POOL_REQUEST* Request);
/// Frees every request left on the list.
VOID FreedPoolDrain(PLIST_ENTRY Head);

#ifdef __cplusplus
}
#endif

#endif  // KEMU_TESTS_RACE_FREED_POOL_DRIVER_H_
