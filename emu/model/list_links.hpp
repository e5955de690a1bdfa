// list_links.hpp — what the kernel's list routines may follow, and how they change links.
// Interlocked lists and device queues both meet links a driver may have written (or never
// initialised); a link no x64 processor can follow is a fault, never a host access. They check
// the links themselves, as each release does, before changing them with the helpers here: not
// with <wdm.h>'s inline list routines, which carry the link checks of the driver's build (in C++
// one inline definition serves every translation unit, whichever build it came from).
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

// The link changes of InsertHeadList, InsertTailList, RemoveHeadList and RemoveEntryList, link for
// link (a corrupted list ends up as those routines would leave it, unchecked).

inline void LinkHead(PLIST_ENTRY head, PLIST_ENTRY entry) {
  PLIST_ENTRY next = head->Flink;
  entry->Flink = next;
  entry->Blink = head;
  next->Blink = entry;
  head->Flink = entry;
}

inline void LinkTail(PLIST_ENTRY head, PLIST_ENTRY entry) {
  PLIST_ENTRY previous = head->Blink;
  entry->Flink = head;
  entry->Blink = previous;
  previous->Flink = entry;
  head->Blink = entry;
}

/// The first entry, unlinked (the head itself when the list is empty).
inline PLIST_ENTRY UnlinkHead(PLIST_ENTRY head) {
  PLIST_ENTRY entry = head->Flink;
  PLIST_ENTRY next = entry->Flink;
  head->Flink = next;
  next->Blink = head;
  return entry;
}

inline void Unlink(PLIST_ENTRY entry) {
  PLIST_ENTRY next = entry->Flink;
  PLIST_ENTRY previous = entry->Blink;
  previous->Flink = next;
  next->Blink = previous;
}

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_LIST_LINKS_HPP_
