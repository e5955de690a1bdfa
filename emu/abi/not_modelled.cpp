// Routines kemu declares but does not model yet. Each fails loudly by name (kemu::NotModelled);
// none returns a made-up success. The manifest (exports.inc) marks them NotModelled.
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

// Handing an executive resource to another owner: kemu's owners are threads only.
VOID ExSetResourceOwnerPointer(PERESOURCE Resource, PVOID OwnerPointer) {
  (void)Resource;
  (void)OwnerPointer;
  KEMU_NOT_MODELLED(ExSetResourceOwnerPointer);
}

// Mapping an MDL's pages somewhere new: kemu's MDLs describe nonpaged memory, mapped already
// (MmGetSystemAddressForMdlSafe reaches this only for an MDL MmBuildMdlForNonPagedPool did not
// complete).
PVOID MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
                                   MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress,
                                   ULONG BugCheckOnFailure, ULONG Priority) {
  (void)MemoryDescriptorList;
  (void)AccessMode;
  (void)CacheType;
  (void)RequestedAddress;
  (void)BugCheckOnFailure;
  (void)Priority;
  KEMU_NOT_MODELLED(MmMapLockedPagesSpecifyCache);
}

}  // extern "C"
