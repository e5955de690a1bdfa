// Whether a range a driver names can be read, asked before kemu's own code copies it. A kernel
// routine that copies a buffer of the driver's stated size faults on Windows where the size runs
// past mapped memory; the same copy in kemu would fault kemu's process instead of ending in the
// bug check a test can assert (kemu never crashes on any input).
//
//   if (const auto bad = FirstUnreadable(data, size)) {
//     kernel.verifier().UnreadableArgument("ZwSetValueKey", "Data", size, *bad);
//   }
#ifndef KEMU_EMU_MODEL_HOST_MEMORY_HPP_
#define KEMU_EMU_MODEL_HOST_MEMORY_HPP_

#include <cstddef>
#include <cstdint>
#include <optional>

namespace kemu::model {

/// The first address of [begin, begin + bytes) the process cannot read (unmapped or without read
/// access), or nullopt when every byte can be read. Checks one byte per page, so it costs a
/// system call per 1024 pages at most; a range past the end of the address space is unreadable
/// from where it wraps.
std::optional<std::uintptr_t> FirstUnreadable(const void* begin, std::size_t bytes);

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_HOST_MEMORY_HPP_
