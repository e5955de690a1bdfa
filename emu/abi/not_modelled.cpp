// Routines kemu declares but does not model yet. Each fails loudly by name (kemu::NotModelled);
// none returns a made-up success. The manifest (exports.inc) marks them NotModelled. Each is
// entered with its arguments first (KEMU_NOT_MODELLED), so a driver handing one an object in
// freed pool (an MDL after IoFreeMdl) gets its own bug reported, not kemu's gap.
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

// Handing an executive resource to another owner: kemu's owners are threads only.
VOID ExSetResourceOwnerPointer(PERESOURCE Resource, PVOID OwnerPointer) {
  KEMU_NOT_MODELLED(ExSetResourceOwnerPointer, KEMU_ARG(Resource), KEMU_ARG(OwnerPointer));
}

// Mapping an MDL's pages somewhere new: kemu's MDLs describe nonpaged memory, mapped already
// (MmGetSystemAddressForMdlSafe reaches this only for an MDL MmBuildMdlForNonPagedPool did not
// complete).
PVOID MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
                                   MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress,
                                   ULONG BugCheckOnFailure, ULONG Priority) {
  KEMU_NOT_MODELLED(MmMapLockedPagesSpecifyCache, KEMU_ARG(MemoryDescriptorList),
                    KEMU_ARG(AccessMode), KEMU_ARG(CacheType), KEMU_ARG(RequestedAddress),
                    KEMU_ARG(BugCheckOnFailure), KEMU_ARG(Priority));
}

// Locking pageable or user buffers, and MDLs of part of another MDL's buffer: kemu's MDLs
// describe nonpaged memory only (docs/differences.md, "MDLs").
VOID MmProbeAndLockPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
                         LOCK_OPERATION Operation) {
  KEMU_NOT_MODELLED(MmProbeAndLockPages, KEMU_ARG(MemoryDescriptorList), KEMU_ARG(AccessMode),
                    KEMU_ARG(Operation));
}

VOID MmUnlockPages(PMDL MemoryDescriptorList) {
  KEMU_NOT_MODELLED(MmUnlockPages, KEMU_ARG(MemoryDescriptorList));
}

VOID MmUnmapLockedPages(PVOID BaseAddress, PMDL MemoryDescriptorList) {
  KEMU_NOT_MODELLED(MmUnmapLockedPages, KEMU_ARG(BaseAddress), KEMU_ARG(MemoryDescriptorList));
}

VOID IoBuildPartialMdl(PMDL SourceMdl, PMDL TargetMdl, PVOID VirtualAddress, ULONG Length) {
  KEMU_NOT_MODELLED(IoBuildPartialMdl, KEMU_ARG(SourceMdl), KEMU_ARG(TargetMdl),
                    KEMU_ARG(VirtualAddress), KEMU_ARG(Length));
}

}  // extern "C"
