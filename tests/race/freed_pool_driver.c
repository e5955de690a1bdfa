// freed_pool_driver.c: see freed_pool_driver.h.
#include "freed_pool_driver.h"

#define FREED_POOL_TAG 'lFrP'

VOID FreedPoolQueue(PLIST_ENTRY Head, ULONG Count) {
  ULONG i;
  InitializeListHead(Head);
  for (i = 1; i <= Count; i++) {
    FREED_POOL_REQUEST* r = (FREED_POOL_REQUEST*)ExAllocatePoolWithTag(
        NonPagedPoolNx, sizeof(FREED_POOL_REQUEST), FREED_POOL_TAG);
    if (r == NULL) return;
    r->Tag = i;
    InsertTailList(Head, &r->Link);
  }
}

FREED_POOL_REQUEST* FreedPoolFind(PLIST_ENTRY Head, ULONG Tag) {
  PLIST_ENTRY e;
  for (e = Head->Flink; e != Head; e = e->Flink) {
    FREED_POOL_REQUEST* r = CONTAINING_RECORD(e, FREED_POOL_REQUEST, Link);
    if (r->Tag == Tag) return r;
  }
  return NULL;
}

VOID FreedPoolDrop(PLIST_ENTRY Head, ULONG Tag, BOOLEAN Unlink) {
  FREED_POOL_REQUEST* r = FreedPoolFind(Head, Tag);
  if (r == NULL) return;
  if (Unlink) RemoveEntryList(&r->Link);
  ExFreePoolWithTag(r, FREED_POOL_TAG);
}

VOID FreedPoolRetag(FREED_POOL_REQUEST* Request, ULONG Value) { Request->Tag = Value; }

VOID FreedPoolCount(FREED_POOL_REQUEST* Request) {
  InterlockedIncrement((LONG volatile*)&Request->Tag);
}

PLIST_ENTRY FreedPoolNext(FREED_POOL_REQUEST* Request) { return Request->Link.Flink; }

VOID FreedPoolDrain(PLIST_ENTRY Head) {
  while (!IsListEmpty(Head)) {
    PLIST_ENTRY e = RemoveHeadList(Head);
    ExFreePoolWithTag(CONTAINING_RECORD(e, FREED_POOL_REQUEST, Link), FREED_POOL_TAG);
  }
}
