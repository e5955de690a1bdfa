// ExInterlocked*List and the sequenced-list (SLIST) exports. Callable at any IRQL; the
// ExInterlocked*List routines take the caller's spin lock through the model's spin-lock rules.
#include <wdm.h>

#include "abi/entry.hpp"
#include "model/interlocked_lists.hpp"

namespace {

kemu::model::InterlockedLists Lists(kemu::model::Kernel& kernel) {
  return kemu::model::InterlockedLists(kernel);
}

}  // namespace

extern "C" {

PLIST_ENTRY ExInterlockedInsertHeadList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry,
                                        PKSPIN_LOCK Lock) {
  kemu::model::Kernel& kernel = KEMU_ENTER(ExInterlockedInsertHeadList, KEMU_ARG(ListHead),
                                           KEMU_ARG(ListEntry), KEMU_ARG(Lock));
  return Lists(kernel).Insert("ExInterlockedInsertHeadList", ListHead, ListEntry, Lock,
                              /*at_head=*/true);
}

PLIST_ENTRY ExInterlockedInsertTailList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry,
                                        PKSPIN_LOCK Lock) {
  kemu::model::Kernel& kernel = KEMU_ENTER(ExInterlockedInsertTailList, KEMU_ARG(ListHead),
                                           KEMU_ARG(ListEntry), KEMU_ARG(Lock));
  return Lists(kernel).Insert("ExInterlockedInsertTailList", ListHead, ListEntry, Lock,
                              /*at_head=*/false);
}

PLIST_ENTRY ExInterlockedRemoveHeadList(PLIST_ENTRY ListHead, PKSPIN_LOCK Lock) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(ExInterlockedRemoveHeadList, KEMU_ARG(ListHead), KEMU_ARG(Lock));
  return Lists(kernel).RemoveHead("ExInterlockedRemoveHeadList", ListHead, Lock);
}

PSINGLE_LIST_ENTRY ExInterlockedPushEntryList(PSINGLE_LIST_ENTRY ListHead,
                                              PSINGLE_LIST_ENTRY ListEntry, PKSPIN_LOCK Lock) {
  kemu::model::Kernel& kernel = KEMU_ENTER(ExInterlockedPushEntryList, KEMU_ARG(ListHead),
                                           KEMU_ARG(ListEntry), KEMU_ARG(Lock));
  return Lists(kernel).Push("ExInterlockedPushEntryList", ListHead, ListEntry, Lock);
}

PSINGLE_LIST_ENTRY ExInterlockedPopEntryList(PSINGLE_LIST_ENTRY ListHead, PKSPIN_LOCK Lock) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(ExInterlockedPopEntryList, KEMU_ARG(ListHead), KEMU_ARG(Lock));
  return Lists(kernel).Pop("ExInterlockedPopEntryList", ListHead, Lock);
}

ULONG ExInterlockedAddUlong(PULONG Addend, ULONG Increment, PKSPIN_LOCK Lock) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(ExInterlockedAddUlong, KEMU_ARG(Addend), KEMU_ARG(Increment), KEMU_ARG(Lock));
  return Lists(kernel).AddUlong(Addend, Increment, Lock);
}

LARGE_INTEGER ExInterlockedAddLargeInteger(PLARGE_INTEGER Addend, LARGE_INTEGER Increment,
                                           PKSPIN_LOCK Lock) {
  kemu::model::Kernel& kernel = KEMU_ENTER(ExInterlockedAddLargeInteger, KEMU_ARG(Addend),
                                           KEMU_ARG(Increment.QuadPart), KEMU_ARG(Lock));
  return Lists(kernel).AddLargeInteger(Addend, Increment, Lock);
}

PSLIST_ENTRY ExpInterlockedPushEntrySList(PSLIST_HEADER ListHead, PSLIST_ENTRY ListEntry) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(ExpInterlockedPushEntrySList, KEMU_ARG(ListHead), KEMU_ARG(ListEntry));
  return Lists(kernel).PushSList("ExpInterlockedPushEntrySList", ListHead, ListEntry);
}

PSLIST_ENTRY ExpInterlockedPopEntrySList(PSLIST_HEADER ListHead) {
  kemu::model::Kernel& kernel = KEMU_ENTER(ExpInterlockedPopEntrySList, KEMU_ARG(ListHead));
  return Lists(kernel).PopSList("ExpInterlockedPopEntrySList", ListHead);
}

PSLIST_ENTRY ExpInterlockedFlushSList(PSLIST_HEADER ListHead) {
  kemu::model::Kernel& kernel = KEMU_ENTER(ExpInterlockedFlushSList, KEMU_ARG(ListHead));
  return Lists(kernel).FlushSList("ExpInterlockedFlushSList", ListHead);
}

USHORT ExQueryDepthSList(PSLIST_HEADER SListHead) {
  kemu::model::Kernel& kernel = KEMU_ENTER(ExQueryDepthSList, KEMU_ARG(SListHead));
  return Lists(kernel).DepthSList("ExQueryDepthSList", SListHead);
}

}  // extern "C"
