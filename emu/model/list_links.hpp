// list_links.hpp — which list links the kernel's list routines may follow.
// Interlocked lists and device queues both meet links a driver may have written (or never
// initialised); a link no x64 processor can follow is a fault, never a host access. They check
// the links themselves, as each release does, and then change them with <wdm.h>'s unchecked
// KemuListLink*/KemuListUnlink* helpers, not with the public list routines, which carry the
// link checks of the build they are compiled in.
#ifndef KEMU_EMU_MODEL_LIST_LINKS_HPP_
#define KEMU_EMU_MODEL_LIST_LINKS_HPP_

#include <wdm.h>

#include <cstdint>

namespace kemu::model {

/// Null, or not canonical (x64: bits 63..47 all equal; a checked kernel's poison is not, by
/// design).
inline bool Unfollowable(const void* link) {
  const auto address = reinterpret_cast<std::uintptr_t>(link);
  const std::uintptr_t top = address >> 47;
  return address == 0 || (top != 0 && top != 0x1FFFF);
}

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_LIST_LINKS_HPP_
