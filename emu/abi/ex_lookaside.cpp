// Lookaside-list exports: the classic NPAGED_/PAGED_LOOKASIDE_LIST routines and the Vista
// LOOKASIDE_LIST_EX family. Each decodes its arguments and calls model::Lookasides; a list without
// its own Allocate/Free routines gets the kernel's defaults, which allocate and free through the
// exported pool routines, so pool tracking, tags and fault injection see every entry.
#include <wdm.h>

#include <cstdint>

#include "abi/entry.hpp"

namespace {

using kemu::model::LookasideKind;

// Flags a classic list accepts (Windows 8 on; OR-ed into the entries' pool type).
constexpr ULONG kClassicFlags = POOL_RAISE_IF_ALLOCATION_FAILURE | POOL_NX_ALLOCATION;
constexpr ULONG kExFlags =
    EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL | EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE;

PVOID NTAPI DefaultAllocateEx(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
                              PLOOKASIDE_LIST_EX /*Lookaside*/) {
  return ExAllocatePoolWithTag(PoolType, NumberOfBytes, Tag);
}

VOID NTAPI DefaultFreeEx(PVOID Buffer, PLOOKASIDE_LIST_EX /*Lookaside*/) { ExFreePool(Buffer); }

// The classic body (`L`, at offset 0) has GENERAL_LOOKASIDE_POOL's fields, only a larger
// declared alignment (64) than Windows requires of the list (16, as pool blocks are): kemu reaches
// it through the 8-byte aligned type, never through a member access on the classic one.
GENERAL_LOOKASIDE_POOL& Body(void* list) { return *static_cast<GENERAL_LOOKASIDE_POOL*>(list); }

void InitializeClassic(kemu::model::Kernel& kernel, const char* routine, void* list,
                       LookasideKind kind, PALLOCATE_FUNCTION allocate, PFREE_FUNCTION free,
                       ULONG flags, SIZE_T size, ULONG tag) {
  const std::uint32_t base = kind == LookasideKind::kPaged ? PagedPool : NonPagedPool;
  // Windows ORs the flags into the pool type; only the documented ones mean anything.
  const auto type = static_cast<POOL_TYPE>(base | (flags & kClassicFlags));
  GENERAL_LOOKASIDE_POOL& body = Body(list);
  kernel.lookasides().Initialize(routine, list, body, kind, type, size, tag);
  body.Allocate = allocate != nullptr ? allocate : &ExAllocatePoolWithTag;
  body.Free = free != nullptr ? free : &ExFreePool;
}

}  // namespace

extern "C" {

VOID ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
                                     PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag,
                                     USHORT Depth) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(ExInitializeNPagedLookasideList, KEMU_ARG(Lookaside), KEMU_ARG(Allocate),
                 KEMU_ARG(Free), KEMU_ARG(Flags), KEMU_ARG(Size), KEMU_ARG(Tag), KEMU_ARG(Depth));
  kernel.verifier().Dereferenced("ExInitializeNPagedLookasideList", Lookaside, "Lookaside");
  InitializeClassic(kernel, "ExInitializeNPagedLookasideList", Lookaside, LookasideKind::kNonPaged,
                    Allocate, Free, Flags, Size, Tag);
}

VOID ExInitializePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
                                    PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag,
                                    USHORT Depth) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(ExInitializePagedLookasideList, KEMU_ARG(Lookaside), KEMU_ARG(Allocate),
                 KEMU_ARG(Free), KEMU_ARG(Flags), KEMU_ARG(Size), KEMU_ARG(Tag), KEMU_ARG(Depth));
  kernel.verifier().Dereferenced("ExInitializePagedLookasideList", Lookaside, "Lookaside");
  InitializeClassic(kernel, "ExInitializePagedLookasideList", Lookaside, LookasideKind::kPaged,
                    Allocate, Free, Flags, Size, Tag);
}

VOID ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside) {
  KEMU_ENTER(ExDeleteNPagedLookasideList, KEMU_ARG(Lookaside))
      .lookasides()
      .Delete("ExDeleteNPagedLookasideList", Lookaside, LookasideKind::kNonPaged);
}

VOID ExDeletePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside) {
  KEMU_ENTER(ExDeletePagedLookasideList, KEMU_ARG(Lookaside))
      .lookasides()
      .Delete("ExDeletePagedLookasideList", Lookaside, LookasideKind::kPaged);
}

PVOID ExAllocateFromNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside) {
  return KEMU_ENTER(ExAllocateFromNPagedLookasideList, KEMU_ARG(Lookaside))
      .lookasides()
      .Allocate("ExAllocateFromNPagedLookasideList", Lookaside, LookasideKind::kNonPaged);
}

PVOID ExAllocateFromPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside) {
  return KEMU_ENTER(ExAllocateFromPagedLookasideList, KEMU_ARG(Lookaside))
      .lookasides()
      .Allocate("ExAllocateFromPagedLookasideList", Lookaside, LookasideKind::kPaged);
}

VOID ExFreeToNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry) {
  KEMU_ENTER(ExFreeToNPagedLookasideList, KEMU_ARG(Lookaside), KEMU_ARG(Entry))
      .lookasides()
      .Free("ExFreeToNPagedLookasideList", Lookaside, LookasideKind::kNonPaged, Entry);
}

VOID ExFreeToPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry) {
  KEMU_ENTER(ExFreeToPagedLookasideList, KEMU_ARG(Lookaside), KEMU_ARG(Entry))
      .lookasides()
      .Free("ExFreeToPagedLookasideList", Lookaside, LookasideKind::kPaged, Entry);
}

NTSTATUS ExInitializeLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PALLOCATE_FUNCTION_EX Allocate,
                                     PFREE_FUNCTION_EX Free, POOL_TYPE PoolType, ULONG Flags,
                                     SIZE_T Size, ULONG Tag, USHORT Depth) {
  static constexpr const char* kName = "ExInitializeLookasideListEx";
  kemu::model::Kernel& kernel = KEMU_ENTER(
      ExInitializeLookasideListEx, KEMU_ARG(Lookaside), KEMU_ARG(Allocate), KEMU_ARG(Free),
      KEMU_ARG(PoolType), KEMU_ARG(Flags), KEMU_ARG(Size), KEMU_ARG(Tag), KEMU_ARG(Depth));
  kernel.verifier().Dereferenced(kName, Lookaside, "Lookaside");
  // The two flags exclude each other; any other bit is invalid too.
  if ((Flags & ~kExFlags) != 0 || Flags == kExFlags) return STATUS_INVALID_PARAMETER_5;
  std::uint32_t type = static_cast<std::uint32_t>(kemu::abi::Arg(PoolType));
  if ((Flags & EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL) != 0) {
    type |= POOL_RAISE_IF_ALLOCATION_FAILURE;
  }
  if ((Flags & EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE) != 0) {
    type |= POOL_QUOTA_FAIL_INSTEAD_OF_RAISE;
  }
  kernel.lookasides().Initialize(kName, Lookaside, Lookaside->L, LookasideKind::kEx,
                                 static_cast<POOL_TYPE>(type), Size, Tag);
  Lookaside->L.AllocateEx = Allocate != nullptr ? Allocate : &DefaultAllocateEx;
  Lookaside->L.FreeEx = Free != nullptr ? Free : &DefaultFreeEx;
  return STATUS_SUCCESS;
}

VOID ExDeleteLookasideListEx(PLOOKASIDE_LIST_EX Lookaside) {
  KEMU_ENTER(ExDeleteLookasideListEx, KEMU_ARG(Lookaside))
      .lookasides()
      .Delete("ExDeleteLookasideListEx", Lookaside, LookasideKind::kEx);
}

VOID ExFlushLookasideListEx(PLOOKASIDE_LIST_EX Lookaside) {
  KEMU_ENTER(ExFlushLookasideListEx, KEMU_ARG(Lookaside))
      .lookasides()
      .Flush("ExFlushLookasideListEx", Lookaside, LookasideKind::kEx);
}

PVOID ExAllocateFromLookasideListEx(PLOOKASIDE_LIST_EX Lookaside) {
  return KEMU_ENTER(ExAllocateFromLookasideListEx, KEMU_ARG(Lookaside))
      .lookasides()
      .Allocate("ExAllocateFromLookasideListEx", Lookaside, LookasideKind::kEx);
}

VOID ExFreeToLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PVOID Entry) {
  KEMU_ENTER(ExFreeToLookasideListEx, KEMU_ARG(Lookaside), KEMU_ARG(Entry))
      .lookasides()
      .Free("ExFreeToLookasideListEx", Lookaside, LookasideKind::kEx, Entry);
}

}  // extern "C"
