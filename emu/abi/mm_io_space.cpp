// MmMapIoSpace / MmUnmapIoSpace: device memory mappings (model/io_space.cpp).
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

PVOID MmMapIoSpace(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes,
                   MEMORY_CACHING_TYPE CacheType) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(MmMapIoSpace,
                 kemu::model::CallArg{"PhysicalAddress", kemu::abi::Arg(PhysicalAddress.QuadPart)},
                 KEMU_ARG(NumberOfBytes), KEMU_ARG(CacheType));
  // An injected failure is MmMapIoSpace's documented failure: NULL.
  if (kernel.faults().Check(kemu::abi::ExportId::kMmMapIoSpace)) return nullptr;
  return kernel.io_space().Map(static_cast<std::uint64_t>(PhysicalAddress.QuadPart), NumberOfBytes,
                               CacheType);
}

VOID MmUnmapIoSpace(PVOID BaseAddress, SIZE_T NumberOfBytes) {
  KEMU_ENTER(MmUnmapIoSpace, KEMU_ARG(BaseAddress), KEMU_ARG(NumberOfBytes))
      .io_space()
      .Unmap(BaseAddress, NumberOfBytes);
}

}  // extern "C"
