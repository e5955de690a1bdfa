#include "model/lookasides.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "model/freed_objects.hpp"
#include "model/interlocked_lists.hpp"
#include "model/kernel.hpp"
#include "model/pool.hpp"
#include "verifier/pool_tag.hpp"

namespace kemu::model {
namespace {

constexpr std::uint32_t kPagedBit = 1;

const char* KindName(LookasideKind kind) {
  switch (kind) {
    case LookasideKind::kNonPaged:
      return "an initialized NPAGED_LOOKASIDE_LIST";
    case LookasideKind::kPaged:
      return "an initialized PAGED_LOOKASIDE_LIST";
    case LookasideKind::kEx:
      return "an initialized LOOKASIDE_LIST_EX";
  }
  return "";
}

bool PagedEntries(const GENERAL_LOOKASIDE_POOL& body) {
  return (static_cast<std::uint32_t>(body.Type) & kPagedBit) != 0;
}

// What the routines that set up or tear down a list allow: the classic paged list's routines
// run at IRQL <= APC_LEVEL, the others at <= DISPATCH_LEVEL (the pool rules still apply to the
// entries they free).
KIRQL ListIrqlLimit(LookasideKind kind) {
  return kind == LookasideKind::kPaged ? APC_LEVEL : DISPATCH_LEVEL;
}

}  // namespace

void Lookasides::Initialize(const char* routine, void* list, GENERAL_LOOKASIDE_POOL& body,
                            LookasideKind kind, POOL_TYPE type, SIZE_T size, ULONG tag) {
  const KIRQL irql = kernel_.cpu().irql;
  if (irql > ListIrqlLimit(kind)) {
    kernel_.verifier().IrqlAboveMaximum(routine, irql, ListIrqlLimit(kind));
  }
  // A free keeps the list's link in the entry itself: it needs that much room.
  if (size < LOOKASIDE_MINIMUM_BLOCK_SIZE) {
    kernel_.verifier().LookasideBlockTooSmall(routine, list, size, LOOKASIDE_MINIMUM_BLOCK_SIZE);
  }
  if (live_.contains(list)) kernel_.verifier().LookasideReinitialized(routine, list);
  InitializeSListHead(&body.ListHead);
  body.Depth = kDepth;
  body.MaximumDepth = kMaximumDepth;
  body.TotalAllocates = 0;
  body.AllocateMisses = 0;
  body.TotalFrees = 0;
  body.FreeMisses = 0;
  body.Type = type;
  body.Tag = tag;
  body.Size = static_cast<ULONG>(size);
  InitializeListHead(&body.ListEntry);
  body.LastTotalAllocates = 0;
  body.LastAllocateMisses = 0;
  body.Future[0] = 0;
  body.Future[1] = 0;
  live_[list] = List{.kind = kind,
                     .routine = routine,
                     .sequence = kernel_.trace().sequence(),
                     .size = body.Size,
                     .tag = tag,
                     .cached = {}};
}

GENERAL_LOOKASIDE_POOL& Lookasides::Check(const char* routine, void* list, LookasideKind kind,
                                          KIRQL maximum) {
  kernel_.verifier().Dereferenced(routine, list, "Lookaside");
  auto it = live_.find(list);
  // Never initialised, deleted, or a list of another kind: Windows would work on whatever the
  // memory holds.
  if (it == live_.end() || it->second.kind != kind) {
    RejectInvalidObject(kernel_, routine, KindName(kind), list);
  }
  const KIRQL irql = kernel_.cpu().irql;
  if (irql > maximum) kernel_.verifier().IrqlAboveMaximum(routine, irql, maximum);
  // Both layouts start with the same fields; the classic one is only aligned further.
  return *static_cast<GENERAL_LOOKASIDE_POOL*>(list);
}

void* Lookasides::Allocate(const char* routine, void* list, LookasideKind kind) {
  auto* body = static_cast<GENERAL_LOOKASIDE_POOL*>(list);
  const auto it = live_.find(list);
  const bool paged = it != live_.end() ? PagedEntries(*body) : kind == LookasideKind::kPaged;
  Check(routine, list, kind, paged ? APC_LEVEL : DISPATCH_LEVEL);
  ++body->TotalAllocates;
  CheckCachedLinks(routine, list, *body);
  if (PSLIST_ENTRY entry = InterlockedLists(kernel_).PopSList(routine, &body->ListHead)) {
    // The newest: CheckCachedLinks saw it on top (and Check that `it` is live).
    it->second.cached.pop_back();
    return entry;
  }
  ++body->AllocateMisses;
  if (kind == LookasideKind::kEx) {
    return body->AllocateEx(body->Type, body->Size, body->Tag,
                            static_cast<PLOOKASIDE_LIST_EX>(list));
  }
  return body->Allocate(body->Type, body->Size, body->Tag);
}

void Lookasides::CheckCachedLinks(const char* routine, void* list,
                                  const GENERAL_LOOKASIDE_POOL& body) {
  const std::vector<const void*>& cached = live_.find(list)->second.cached;  // Check found it
  // Newest first, as the list links them; every entry read is a block the list still holds.
  const void* expected = cached.empty() ? nullptr : cached.back();
  const auto* link =
      reinterpret_cast<const void*>(static_cast<std::uintptr_t>(body.ListHead.Region));
  if (link != expected)
    kernel_.verifier().LookasideEntryChanged(routine, list, list, link, expected);
  for (std::size_t i = cached.size(); i-- > 0;) {
    const void* entry = cached[i];
    expected = i > 0 ? cached[i - 1] : nullptr;
    link = static_cast<const SLIST_ENTRY*>(entry)->Next;
    if (link != expected)
      kernel_.verifier().LookasideEntryChanged(routine, list, entry, link, expected);
  }
}

void Lookasides::FreeToRoutine(void* list, LookasideKind kind, GENERAL_LOOKASIDE_POOL& body,
                               void* entry) {
  if (kind == LookasideKind::kEx) {
    body.FreeEx(entry, static_cast<PLOOKASIDE_LIST_EX>(list));
  } else {
    body.Free(entry);
  }
}

void Lookasides::Free(const char* routine, void* list, LookasideKind kind, void* entry) {
  auto* body = static_cast<GENERAL_LOOKASIDE_POOL*>(list);
  const auto it = live_.find(list);
  const bool paged = it != live_.end() ? PagedEntries(*body) : kind == LookasideKind::kPaged;
  Check(routine, list, kind, paged ? APC_LEVEL : DISPATCH_LEVEL);
  kernel_.verifier().Dereferenced(routine, entry, "Entry");
  std::vector<const void*>& cached = it->second.cached;  // Check found the list live
  // Freed to the list already. Windows would link the entry to itself (or, with the list full,
  // hand it to pool while the list still links it) and free it twice when the list is deleted,
  // handing it out twice before that; kemu reports the double free here, where the driver
  // makes it.
  if (std::find(cached.begin(), cached.end(), entry) != cached.end()) {
    kernel_.verifier().PoolDoubleFree(routine, entry);
    return;  // a kernel that carries on keeps the entry cached once
  }
  // A pool block freed already (to pool, or by the delete of the list it was cached in): the list
  // would link freed memory and hand it out again (found by kemu_fuzz_kernel_api under ASan).
  if (kernel_.pool().WasFreed(entry)) {
    kernel_.verifier().PoolDoubleFree(routine, entry);
    return;  // nothing is linked
  }
  ++body->TotalFrees;
  InterlockedLists lists(kernel_);
  if (lists.DepthSList(routine, &body->ListHead) >= body->Depth) {
    ++body->FreeMisses;
    FreeToRoutine(list, kind, *body, entry);
    return;
  }
  // Freed as far as the driver knows: the entry's next owner starts with no history in it (its
  // earlier accesses are not ordered with the next owner's by kemu's list, which is not
  // instrumented), and objects placed in it are new ones.
  kernel_.race().Forget(entry, body->Size);
  lists.PushSList(routine, &body->ListHead, static_cast<PSLIST_ENTRY>(entry));
  cached.push_back(entry);
}

bool Lookasides::FreeingCachedEntry(const char* routine, const void* block, SIZE_T bytes) {
  const auto* low = static_cast<const char*>(block);
  const char* high = low + std::max<SIZE_T>(bytes, 1);
  for (const auto& [address, list] : live_) {
    for (const void* entry : list.cached) {
      if (entry >= low && entry < high) {
        kernel_.verifier().PoolDoubleFree(routine, entry);
        return true;
      }
    }
  }
  return false;
}

void Lookasides::Flush(const char* routine, void* list, LookasideKind kind) {
  GENERAL_LOOKASIDE_POOL& body = Check(routine, list, kind, ListIrqlLimit(kind));
  CheckCachedLinks(routine, list, body);
  // The list is emptied before any entry is freed: Pool::Free asks whether a block is still
  // cached. Newest first, as popping them would free them.
  const std::vector<const void*> entries = std::exchange(live_.find(list)->second.cached, {});
  InitializeSListHead(&body.ListHead);
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    FreeToRoutine(list, kind, body, const_cast<void*>(*it));
  }
}

void Lookasides::Delete(const char* routine, void* list, LookasideKind kind) {
  kernel_.verifier().Dereferenced(routine, list, "Lookaside");
  if (!live_.contains(list)) {
    // Never initialised, or deleted already; a live list of another kind is the wrong routine,
    // which Flush's check reports.
    RejectIfInFreedPool(kernel_, routine, KindName(kind), list);
    kernel_.verifier().DeleteUninitializedLookaside(routine, list, KindName(kind));
  }
  Flush(routine, list, kind);
  // Entries the driver still holds stay its pool blocks: freeing them is its job (ExFreePool),
  // and what it never frees is reported with the pool at shutdown.
  live_.erase(list);
}

std::vector<std::string> Lookasides::DescribeLive() const {
  std::vector<std::pair<const void*, const List*>> lists;
  for (const auto& [address, list] : live_) lists.emplace_back(address, &list);
  std::sort(lists.begin(), lists.end(),
            [](const auto& a, const auto& b) { return a.second->sequence < b.second->sequence; });
  std::vector<std::string> out;
  for (const auto& [address, list] : lists) {
    // The structure itself may be gone (freed with the memory around it), so the report uses
    // what the model recorded.
    out.push_back(fmt::format(
        "lookaside list at {} ({}-byte entries, tag {}) was never deleted; {} set it up at trace "
        "event #{}",
        address, list->size, verifier::FormatPoolTag(list->tag), list->routine, list->sequence));
  }
  return out;
}

std::uintptr_t Lookasides::FirstLive() const {
  std::uintptr_t first = 0;
  std::uint64_t first_at = ~std::uint64_t{0};
  for (const auto& [address, list] : live_) {
    if (list.sequence < first_at) {
      first = reinterpret_cast<std::uintptr_t>(address);
      first_at = list.sequence;
    }
  }
  return first;
}

void Lookasides::Freed(const char* routine, const void* block, SIZE_T bytes) {
  const auto first = live_.lower_bound(block);
  const auto last = live_.lower_bound(static_cast<const char*>(block) + bytes);
  if (first == last) return;  // the common case: no list in the block
  kernel_.verifier().LookasideInFreedPool(routine, first->first, block, bytes);
  live_.erase(first, last);
}

}  // namespace kemu::model
