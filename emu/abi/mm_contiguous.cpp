// Contiguous memory and physical addresses: MmAllocateContiguousMemory(SpecifyCache),
// MmFreeContiguousMemory(SpecifyCache), MmGetPhysicalAddress. The blocks are pool blocks of a kind
// only these routines free (model::Pool), with a physical range from model::PhysicalMemory.
#include <ntddk.h>  // MmGetPhysicalAddress is ntddk.h's

#include <bit>
#include <cstdint>

#include "abi/entry.hpp"
#include "model/io_space.hpp"

namespace {

std::uint64_t Physical(PHYSICAL_ADDRESS address) {
  return static_cast<std::uint64_t>(address.QuadPart);
}

PVOID AllocateContiguous(kemu::model::Kernel& kernel, const char* routine,
                         kemu::personality::ExportId id, SIZE_T bytes, std::uint64_t lowest,
                         std::uint64_t highest, std::uint64_t boundary, MEMORY_CACHING_TYPE cache) {
  // Nothing to allocate, or a boundary that is not a power of two: Microsoft gives no bug check
  // for either, and no range can meet the request (kemu returns NULL; UNCONFIRMED).
  if (bytes == 0 || (boundary != 0 && !std::has_single_bit(boundary))) {
    kemu::abi::AtMost(kernel, routine, DISPATCH_LEVEL);
    return nullptr;
  }
  // A caching type the enum does not define: the same answer as MmMapIoSpace's
  // (model/io_space.cpp), kemu's Verifier report, NULL without Verifier; Microsoft documents no
  // outcome (UNCONFIRMED).
  if (cache < MmNonCached || cache >= MmMaximumCacheType) {
    kemu::abi::AtMost(kernel, routine, DISPATCH_LEVEL);
    kernel.verifier().EnumArgumentOutOfRange(routine, "CacheType", cache, 0);
    return nullptr;
  }
  return kernel.pool().Allocate({.routine = routine,
                                 .id = id,
                                 .type = NonPagedPool,
                                 .bytes = bytes,
                                 .contiguous = true,
                                 .lowest = lowest,
                                 .highest = highest,
                                 .boundary = boundary,
                                 .cache_type = static_cast<std::uint32_t>(cache)});
}

// MmFreeContiguousMemory: before the Windows Server 2008 kernel (Vista SP1) at APC_LEVEL or below,
// from it on at DISPATCH_LEVEL or below (its page). kemu's Vista is SP2.
// MmFreeContiguousMemorySpecifyCache: its page says DISPATCH_LEVEL or below with no version limit,
// so every personality allows it there (UNCONFIRMED for the releases before Server 2008).
KIRQL FreeIrqlLimit(const kemu::model::Kernel& kernel, bool specify_cache) {
  if (specify_cache) return DISPATCH_LEVEL;
  return kernel.personality().os >= kemu::Os::kWindowsVista ? DISPATCH_LEVEL : APC_LEVEL;
}

}  // namespace

extern "C" {

PVOID MmAllocateContiguousMemory(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS HighestAcceptableAddress) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(MmAllocateContiguousMemory, KEMU_ARG(NumberOfBytes),
                 kemu::model::CallArg{"HighestAcceptableAddress",
                                      kemu::abi::Arg(HighestAcceptableAddress.QuadPart)});
  return AllocateContiguous(kernel, "MmAllocateContiguousMemory",
                            kemu::abi::ExportId::kMmAllocateContiguousMemory, NumberOfBytes, 0,
                            Physical(HighestAcceptableAddress), 0, MmCached);
}

PVOID MmAllocateContiguousMemorySpecifyCache(SIZE_T NumberOfBytes,
                                             PHYSICAL_ADDRESS LowestAcceptableAddress,
                                             PHYSICAL_ADDRESS HighestAcceptableAddress,
                                             PHYSICAL_ADDRESS BoundaryAddressMultiple,
                                             MEMORY_CACHING_TYPE CacheType) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(MmAllocateContiguousMemorySpecifyCache, KEMU_ARG(NumberOfBytes),
                 kemu::model::CallArg{"LowestAcceptableAddress",
                                      kemu::abi::Arg(LowestAcceptableAddress.QuadPart)},
                 kemu::model::CallArg{"HighestAcceptableAddress",
                                      kemu::abi::Arg(HighestAcceptableAddress.QuadPart)},
                 kemu::model::CallArg{"BoundaryAddressMultiple",
                                      kemu::abi::Arg(BoundaryAddressMultiple.QuadPart)},
                 KEMU_ARG(CacheType));
  return AllocateContiguous(kernel, "MmAllocateContiguousMemorySpecifyCache",
                            kemu::abi::ExportId::kMmAllocateContiguousMemorySpecifyCache,
                            NumberOfBytes, Physical(LowestAcceptableAddress),
                            Physical(HighestAcceptableAddress), Physical(BoundaryAddressMultiple),
                            CacheType);
}

VOID MmFreeContiguousMemory(PVOID BaseAddress) {
  static constexpr const char* kName = "MmFreeContiguousMemory";
  kemu::model::Kernel& kernel = KEMU_ENTER(MmFreeContiguousMemory, KEMU_ARG(BaseAddress));
  kemu::abi::AtMost(kernel, kName, FreeIrqlLimit(kernel, false));
  kernel.pool().FreeContiguous(kName, BaseAddress, {}, __builtin_return_address(0));
}

VOID MmFreeContiguousMemorySpecifyCache(PVOID BaseAddress, SIZE_T NumberOfBytes,
                                        MEMORY_CACHING_TYPE CacheType) {
  static constexpr const char* kName = "MmFreeContiguousMemorySpecifyCache";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(MmFreeContiguousMemorySpecifyCache, KEMU_ARG(BaseAddress), KEMU_ARG(NumberOfBytes),
                 KEMU_ARG(CacheType));
  kemu::abi::AtMost(kernel, kName, FreeIrqlLimit(kernel, true));
  kernel.pool().FreeContiguous(
      kName, BaseAddress,
      {.bytes = NumberOfBytes, .cache_type = static_cast<std::uint32_t>(CacheType)},
      __builtin_return_address(0));
}

PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID BaseAddress) {
  kemu::model::Kernel& kernel = KEMU_ENTER(MmGetPhysicalAddress, KEMU_ARG(BaseAddress));
  PHYSICAL_ADDRESS physical;
  // An MmMapIoSpace address is the device memory it maps: the driver may hand it to a device
  // (another device's DMA, a peer-to-peer transfer) and must get the BAR's address back, not a
  // page of RAM kemu made up for the host buffer behind the mapping (audit round 17, W).
  if (const auto device = kernel.io_space().PhysicalOf(BaseAddress)) {
    physical.QuadPart = static_cast<LONGLONG>(*device);
    return physical;
  }
  // A block in the freed special pool kemu keeps under Verifier has no page: Windows makes a
  // freed special-pool page invalid, and an invalid address's physical address is 0, as
  // MmIsAddressValid answers FALSE for it (audit round 19, B-S2). A driver must not hand its
  // device a buffer it freed.
  if (kernel.pool().quarantine().Holding(reinterpret_cast<std::uintptr_t>(BaseAddress)) !=
      nullptr) {
    physical.QuadPart = 0;
    return physical;
  }
  physical.QuadPart = static_cast<LONGLONG>(kernel.physical_memory().PhysicalOf(BaseAddress));
  return physical;
}

}  // extern "C"
