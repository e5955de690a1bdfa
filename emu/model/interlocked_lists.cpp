#include "model/interlocked_lists.hpp"

#include <cstdint>

#include "model/kernel.hpp"
#include "model/list_links.hpp"

namespace kemu::model {
namespace {

// IL-6: what a checked kernel writes into the links of an entry ExInterlockedRemoveHeadList
// returns, so a driver that follows them faults at once.
constexpr std::uintptr_t kRemovedLinkPoison = 0xBADDD0FFBADDD0FFull;

// SLIST_HEADER.Alignment on x64: Depth in bits 0-15, Sequence in bits 16-63.
constexpr std::uint64_t kDepthMask = 0xFFFF;
constexpr std::uint64_t kSequenceOne = std::uint64_t{1} << 16;
// x64 SLIST headers and entries are 16-byte aligned.
constexpr std::uintptr_t kSListAlignmentMask = 0xF;

}  // namespace

void InterlockedLists::CheckReadable(const char* routine, PLIST_ENTRY head, PLIST_ENTRY link) {
  if (Unfollowable(link)) {
    kernel_.verifier().ListLinkFaults(routine, head, reinterpret_cast<std::uintptr_t>(link));
  }
}

void InterlockedLists::CheckConsistent(const char* routine, PLIST_ENTRY head, PLIST_ENTRY entry,
                                       bool holds) {
  if (!holds && kernel_.personality().os >= Os::kWindows8) {
    kernel_.verifier().CorruptListEntry(routine, head, entry);
  }
}

void InterlockedLists::CheckHead(const char* routine, const void* head) {
  kernel_.verifier().Dereferenced(routine, head, "ListHead");
}

void InterlockedLists::CheckSListHead(const char* routine, const void* head) {
  CheckHead(routine, head);
  if ((reinterpret_cast<std::uintptr_t>(head) & kSListAlignmentMask) != 0) {
    kernel_.verifier().MisalignedSListHeader(routine, head);
  }
}

// Windows disables interrupts and spins on the lock without raising the IRQL; kemu delivers no
// interrupt inside a kernel routine, so only the lock needs modelling.
void InterlockedLists::Lock(const char* routine, PKSPIN_LOCK lock) {
  kernel_.verifier().Dereferenced(routine, lock, "Lock");
  kernel_.spin_locks().Take(routine, lock, LockKind::kOrdinary, nullptr, kernel_.irql().Current());
}

void InterlockedLists::Unlock(const char* routine, PKSPIN_LOCK lock) {
  kernel_.spin_locks().Drop(routine, lock, LockKind::kOrdinary);
}

PLIST_ENTRY InterlockedLists::Insert(const char* routine, PLIST_ENTRY head, PLIST_ENTRY entry,
                                     PKSPIN_LOCK lock, bool at_head) {
  CheckHead(routine, head);
  kernel_.verifier().Dereferenced(routine, entry, "ListEntry");
  Lock(routine, lock);
  PLIST_ENTRY previous = at_head ? head->Flink : head->Blink;
  CheckReadable(routine, head, previous);
  CheckConsistent(routine, head, previous, (at_head ? previous->Blink : previous->Flink) == head);
  if (at_head) {
    KemuListLinkHead(head, entry);
  } else {
    KemuListLinkTail(head, entry);
  }
  Unlock(routine, lock);
  return previous == head ? nullptr : previous;
}

PLIST_ENTRY InterlockedLists::RemoveHead(const char* routine, PLIST_ENTRY head, PKSPIN_LOCK lock) {
  CheckHead(routine, head);
  Lock(routine, lock);
  PLIST_ENTRY entry = nullptr;
  CheckReadable(routine, head, head->Flink);
  if (!IsListEmpty(head)) {
    // In the order Windows 8's check reads them: the first entry's back link is looked at before
    // its forward link is followed, so an entry removed twice stops there.
    PLIST_ENTRY first = head->Flink;
    CheckConsistent(routine, head, first, first->Blink == head);
    CheckReadable(routine, head, first->Flink);
    CheckConsistent(routine, head, first, first->Flink->Blink == first);
    entry = KemuListUnlinkHead(head);
    if (kernel_.verifier().mode() == verifier::CheckMode::kChecked) {
      entry->Flink = reinterpret_cast<PLIST_ENTRY>(kRemovedLinkPoison);
      entry->Blink = reinterpret_cast<PLIST_ENTRY>(kRemovedLinkPoison);
    }
  }
  Unlock(routine, lock);
  return entry;
}

PSINGLE_LIST_ENTRY InterlockedLists::Push(const char* routine, PSINGLE_LIST_ENTRY head,
                                          PSINGLE_LIST_ENTRY entry, PKSPIN_LOCK lock) {
  CheckHead(routine, head);
  kernel_.verifier().Dereferenced(routine, entry, "ListEntry");
  Lock(routine, lock);
  PSINGLE_LIST_ENTRY previous = head->Next;
  PushEntryList(head, entry);
  Unlock(routine, lock);
  return previous;
}

PSINGLE_LIST_ENTRY InterlockedLists::Pop(const char* routine, PSINGLE_LIST_ENTRY head,
                                         PKSPIN_LOCK lock) {
  CheckHead(routine, head);
  Lock(routine, lock);
  PSINGLE_LIST_ENTRY entry = PopEntryList(head);
  Unlock(routine, lock);
  return entry;
}

ULONG InterlockedLists::AddUlong(PULONG addend, ULONG increment, PKSPIN_LOCK lock) {
  static constexpr const char* kRoutine = "ExInterlockedAddUlong";
  kernel_.verifier().Dereferenced(kRoutine, addend, "Addend");
  Lock(kRoutine, lock);
  const ULONG old = *addend;
  *addend = old + increment;  // unsigned: wraps
  Unlock(kRoutine, lock);
  return old;
}

LARGE_INTEGER InterlockedLists::AddLargeInteger(PLARGE_INTEGER addend, LARGE_INTEGER increment,
                                                PKSPIN_LOCK lock) {
  static constexpr const char* kRoutine = "ExInterlockedAddLargeInteger";
  kernel_.verifier().Dereferenced(kRoutine, addend, "Addend");
  Lock(kRoutine, lock);
  const LARGE_INTEGER old = *addend;
  // Two's-complement wrap without signed overflow.
  addend->QuadPart = static_cast<LONGLONG>(static_cast<ULONGLONG>(old.QuadPart) +
                                           static_cast<ULONGLONG>(increment.QuadPart));
  Unlock(kRoutine, lock);
  return old;
}

PSLIST_ENTRY InterlockedLists::PushSList(const char* routine, PSLIST_HEADER head,
                                         PSLIST_ENTRY entry) {
  CheckSListHead(routine, head);
  kernel_.verifier().Dereferenced(routine, entry, "ListEntry");
  // Windows keeps the entry address shifted right by four in Region's upper 60 bits, so only a
  // 16-byte aligned entry survives the push.
  if ((reinterpret_cast<std::uintptr_t>(entry) & kSListAlignmentMask) != 0) {
    kernel_.verifier().MisalignedSListEntry(routine, head, entry);
  }
  // An S-list operation is one interlocked exchange on the header, a full barrier: what the pusher
  // did to an entry before pushing it happens before what its popper does (the race detector's
  // edge, as for any Interlocked operation on one address).
  kernel_.race().Barrier(head);
  auto* previous = reinterpret_cast<PSLIST_ENTRY>(static_cast<std::uintptr_t>(head->Region));
  entry->Next = previous;
  head->Region = reinterpret_cast<std::uintptr_t>(entry);
  const std::uint64_t word = head->Alignment;
  head->Alignment = ((word + kSequenceOne) & ~kDepthMask) | ((word + 1) & kDepthMask);
  return previous;
}

PSLIST_ENTRY InterlockedLists::PopSList(const char* routine, PSLIST_HEADER head) {
  CheckSListHead(routine, head);
  kernel_.race().Barrier(head);
  auto* entry = reinterpret_cast<PSLIST_ENTRY>(static_cast<std::uintptr_t>(head->Region));
  if (entry == nullptr) return nullptr;
  head->Region = reinterpret_cast<std::uintptr_t>(entry->Next);
  const std::uint64_t word = head->Alignment;
  head->Alignment = (word & ~kDepthMask) | ((word - 1) & kDepthMask);
  return entry;
}

PSLIST_ENTRY InterlockedLists::FlushSList(const char* routine, PSLIST_HEADER head) {
  CheckSListHead(routine, head);
  kernel_.race().Barrier(head);
  auto* first = reinterpret_cast<PSLIST_ENTRY>(static_cast<std::uintptr_t>(head->Region));
  head->Region = 0;
  head->Alignment &= ~kDepthMask;
  return first;
}

USHORT InterlockedLists::DepthSList(const char* routine, PSLIST_HEADER head) {
  CheckHead(routine, head);
  return static_cast<USHORT>(head->Alignment & kDepthMask);
}

}  // namespace kemu::model
