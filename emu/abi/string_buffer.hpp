// The pool buffer of a counted string a kernel routine allocates for the driver
// (RtlAnsiStringToUnicodeString, RtlUpcaseUnicodeString, RtlStringFromGUID, ...), which the driver
// gives back with RtlFreeUnicodeString or RtlFreeAnsiString.
//
//   void* block = AllocateStringBuffer(kernel, kRoutine, ExportId::kRtlStringFromGUID, bytes);
//   if (block == nullptr) return STATUS_NO_MEMORY;
#ifndef KEMU_EMU_ABI_STRING_BUFFER_HPP_
#define KEMU_EMU_ABI_STRING_BUFFER_HPP_

#include <cstddef>

#include "abi/entry.hpp"

namespace kemu::abi {

/// `bytes` from paged pool, as RtlQueryRegistryValues allocates a string's: untagged, freed by
/// RtlFree*String (which free with ExFreePool's rules). NULL when the pool refuses, which a fault
/// injected into `id` makes it do: a test fails only the calls of that routine that allocate.
inline void* AllocateStringBuffer(model::Kernel& kernel, const char* routine, ExportId id,
                                  std::size_t bytes) {
  return kernel.pool().Allocate(
      {.routine = routine, .id = id, .type = 1 /* PagedPool */, .paged = true, .bytes = bytes});
}

}  // namespace kemu::abi

#endif  // KEMU_EMU_ABI_STRING_BUFFER_HPP_
