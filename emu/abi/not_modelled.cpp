// Routines kemu declares but does not model yet. Each fails loudly by name (kemu::NotModelled);
// none returns a made-up success. The manifest (exports.inc) marks them NotModelled.
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

VOID KeQuerySystemTime(PLARGE_INTEGER CurrentTime) {
  (void)CurrentTime;
  KEMU_NOT_MODELLED(KeQuerySystemTime);
}

PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag) {
  (void)PoolType, (void)NumberOfBytes, (void)Tag;
  KEMU_NOT_MODELLED(ExAllocatePoolWithTag);
}

VOID ExFreePoolWithTag(PVOID P, ULONG Tag) {
  (void)P, (void)Tag;
  KEMU_NOT_MODELLED(ExFreePoolWithTag);
}

VOID ExFreePool(PVOID P) {
  (void)P;
  KEMU_NOT_MODELLED(ExFreePool);
}

}  // extern "C"
