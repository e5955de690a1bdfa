// Executive pool exports: ExAllocatePoolWithTag(Priority), ExAllocatePoolWithQuotaTag, the
// untagged ExAllocatePool(WithQuota), ExAllocatePool2/3, ExFreePool and ExFreePoolWithTag. Each
// decodes its arguments into a model::PoolRequest; the checks live in model::Pool and the
// verifier's pool rules.
#include <wdm.h>

#include <cstdint>
#include <optional>

#include "abi/entry.hpp"
#include "kemu/error.hpp"

namespace {

// What the low bits of a POOL_TYPE say: bit 0 paged, bit 2 cache aligned; bits 3 and 4 choose
// what a failed allocation does.
constexpr std::uint32_t kPagedBit = 1;
constexpr std::uint32_t kCacheAlignedBit = 4;

// The untagged originals tag the block "None" (UNCONFIRMED: the tag Windows' pool tools show for
// them, written here as its number).
constexpr ULONG kUntaggedPoolTag = 0x656E6F4E;

// Whether the kernel zeroes a block whose POOL_TYPE carries POOL_ZERO_ALLOCATION: from Windows 10
// version 2004 on (kemu's Windows 10 is 22H2). Older kernels hand the block out uninitialised,
// which is why <wdm.h>'s ExAllocatePool*Zero helpers zero it themselves when the driver defines
// POOL_ZERO_DOWN_LEVEL_SUPPORT (docs/kernel.md, "Pool").
bool ZeroesOnRequest(kemu::model::Kernel& kernel) {
  return kernel.personality().os >= kemu::Os::kWindows10;
}

// The request of a routine that takes a POOL_TYPE. Quota routines raise on failure unless told to
// return NULL; the others raise only when asked to.
kemu::model::PoolRequest FromPoolType(kemu::model::Kernel& kernel, const char* routine,
                                      kemu::abi::ExportId id, std::uint32_t type, SIZE_T bytes,
                                      ULONG tag, bool quota) {
  return {.routine = routine,
          .id = id,
          .type = type,
          .paged = (type & kPagedBit) != 0,
          .cache_aligned = (type & kCacheAlignedBit) != 0,
          .bytes = bytes,
          .tag = tag,
          .zero = (type & POOL_ZERO_ALLOCATION) != 0 && ZeroesOnRequest(kernel),
          .raise_on_failure = quota ? (type & POOL_QUOTA_FAIL_INSTEAD_OF_RAISE) == 0
                                    : (type & POOL_RAISE_IF_ALLOCATION_FAILURE) != 0};
}

// ExAllocatePool2's required flags (the low 32 bits); any other required bit fails the call.
constexpr POOL_FLAGS kKnownRequiredFlags = POOL_FLAG_USE_QUOTA | POOL_FLAG_UNINITIALIZED |
                                           POOL_FLAG_SESSION | POOL_FLAG_CACHE_ALIGNED |
                                           POOL_FLAG_RAISE_ON_FAILURE | POOL_FLAG_NON_PAGED |
                                           POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED;
constexpr POOL_FLAGS kRequiredMask = 0xFFFFFFFFull;

// A request ExAllocatePool2/3 refuses: NULL, or the exception the caller asked for.
PVOID RefuseAllocation(kemu::model::Kernel& kernel, const char* routine, POOL_FLAGS flags,
                       SIZE_T bytes, ULONG tag) {
  if ((flags & POOL_FLAG_RAISE_ON_FAILURE) != 0) {
    kernel.verifier().PoolAllocationRaised(routine, bytes, tag);
  }
  return nullptr;
}

PVOID AllocateWithFlags(kemu::model::Kernel& kernel, const char* routine, kemu::abi::ExportId id,
                        POOL_FLAGS flags, SIZE_T bytes, ULONG tag) {
  const POOL_FLAGS kind =
      flags & (POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED);
  const bool one_kind = kind != 0 && (kind & (kind - 1)) == 0;
  // A zero tag, an unknown required flag or not exactly one kind of pool fail the call (the high
  // 32 bits are hints, ignored when unknown).
  if (tag == 0 || (flags & kRequiredMask & ~kKnownRequiredFlags) != 0 || !one_kind) {
    return RefuseAllocation(kernel, routine, flags, bytes, tag);
  }
  const bool paged = kind == POOL_FLAG_PAGED;
  const bool cache_aligned = (flags & POOL_FLAG_CACHE_ALIGNED) != 0;
  // Reports show the POOL_TYPE the flags stand for.
  std::uint32_t type = paged                         ? PagedPool
                       : kind == POOL_FLAG_NON_PAGED ? NonPagedPoolNx
                                                     : NonPagedPool;
  if (cache_aligned) type |= kCacheAlignedBit;
  return kernel.pool().Allocate({.routine = routine,
                                 .id = id,
                                 .type = type,
                                 .paged = paged,
                                 .cache_aligned = cache_aligned,
                                 .bytes = bytes,
                                 .tag = tag,
                                 .zero = (flags & POOL_FLAG_UNINITIALIZED) == 0,
                                 .raise_on_failure = (flags & POOL_FLAG_RAISE_ON_FAILURE) != 0});
}

}  // namespace

extern "C" {

PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag) {
  // Any int is a POOL_TYPE value (the WDK enums are int-based), modifier bits included.
  const auto type = static_cast<std::uint32_t>(PoolType);
  kemu::model::Kernel& kernel =
      KEMU_ENTER(ExAllocatePoolWithTag, {"PoolType", type}, KEMU_ARG(NumberOfBytes), KEMU_ARG(Tag));
  kernel.verifier().PoolTagUntrackable("ExAllocatePoolWithTag", type, NumberOfBytes, Tag);
  return kernel.pool().Allocate(FromPoolType(kernel, "ExAllocatePoolWithTag",
                                             kemu::abi::ExportId::kExAllocatePoolWithTag, type,
                                             NumberOfBytes, Tag, /*quota=*/false));
}

// The priority only says when Windows may fail the request as pool runs low; kemu's pool runs
// low only through an injected fault, which fails it whatever the priority.
PVOID ExAllocatePoolWithTagPriority(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
                                    EX_POOL_PRIORITY Priority) {
  const auto type = static_cast<std::uint32_t>(PoolType);
  kemu::model::Kernel& kernel =
      KEMU_ENTER(ExAllocatePoolWithTagPriority, {"PoolType", type}, KEMU_ARG(NumberOfBytes),
                 KEMU_ARG(Tag), {"Priority", static_cast<std::uint32_t>(Priority)});
  kernel.verifier().PoolTagUntrackable("ExAllocatePoolWithTagPriority", type, NumberOfBytes, Tag);
  return kernel.pool().Allocate(FromPoolType(kernel, "ExAllocatePoolWithTagPriority",
                                             kemu::abi::ExportId::kExAllocatePoolWithTagPriority,
                                             type, NumberOfBytes, Tag, /*quota=*/false));
}

PVOID ExAllocatePoolWithQuotaTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag) {
  const auto type = static_cast<std::uint32_t>(PoolType);
  kemu::model::Kernel& kernel = KEMU_ENTER(ExAllocatePoolWithQuotaTag, {"PoolType", type},
                                           KEMU_ARG(NumberOfBytes), KEMU_ARG(Tag));
  kernel.verifier().PoolTagUntrackable("ExAllocatePoolWithQuotaTag", type, NumberOfBytes, Tag);
  return kernel.pool().Allocate(FromPoolType(kernel, "ExAllocatePoolWithQuotaTag",
                                             kemu::abi::ExportId::kExAllocatePoolWithQuotaTag, type,
                                             NumberOfBytes, Tag, /*quota=*/true));
}

PVOID ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes) {
  const auto type = static_cast<std::uint32_t>(PoolType);
  kemu::model::Kernel& kernel =
      KEMU_ENTER(ExAllocatePool, {"PoolType", type}, KEMU_ARG(NumberOfBytes));
  return kernel.pool().Allocate(FromPoolType(kernel, "ExAllocatePool",
                                             kemu::abi::ExportId::kExAllocatePool, type,
                                             NumberOfBytes, kUntaggedPoolTag,
                                             /*quota=*/false));
}

PVOID ExAllocatePoolWithQuota(POOL_TYPE PoolType, SIZE_T NumberOfBytes) {
  const auto type = static_cast<std::uint32_t>(PoolType);
  kemu::model::Kernel& kernel =
      KEMU_ENTER(ExAllocatePoolWithQuota, {"PoolType", type}, KEMU_ARG(NumberOfBytes));
  return kernel.pool().Allocate(FromPoolType(kernel, "ExAllocatePoolWithQuota",
                                             kemu::abi::ExportId::kExAllocatePoolWithQuota, type,
                                             NumberOfBytes, kUntaggedPoolTag, /*quota=*/true));
}

PVOID ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(ExAllocatePool2, KEMU_ARG(Flags), KEMU_ARG(NumberOfBytes), KEMU_ARG(Tag));
  return AllocateWithFlags(kernel, "ExAllocatePool2", kemu::abi::ExportId::kExAllocatePool2, Flags,
                           NumberOfBytes, Tag);
}

PVOID ExAllocatePool3(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag,
                      PCPOOL_EXTENDED_PARAMETER ExtendedParameters, ULONG ExtendedParametersCount) {
  static constexpr const char* kName = "ExAllocatePool3";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(ExAllocatePool3, KEMU_ARG(Flags), KEMU_ARG(NumberOfBytes), KEMU_ARG(Tag),
                 KEMU_ARG(ExtendedParameters), KEMU_ARG(ExtendedParametersCount));
  if (ExtendedParametersCount != 0 && ExtendedParameters == nullptr) {
    kernel.verifier().NullArgument(kName, "ExtendedParameters");
  }
  for (ULONG i = 0; i < ExtendedParametersCount; ++i) {
    const POOL_EXTENDED_PARAMETER& parameter = ExtendedParameters[i];
    switch (parameter.Type) {
      case PoolExtendedParameterPriority:
        // kemu's pool runs low only when a fault is injected, which no priority escapes.
        continue;
      case PoolExtendedParameterNumaNode:
        // One emulated NUMA node. UNCONFIRMED what Windows does for a node that does not exist;
        // kemu fails the allocation unless the parameter is optional.
        if (parameter.PreferredNode == 0 || parameter.PreferredNode == MM_ANY_NODE_OK ||
            parameter.Optional != 0) {
          continue;
        }
        return RefuseAllocation(kernel, kName, Flags, NumberOfBytes, Tag);
      case PoolExtendedParameterSecurePool:
        // Secure pool lives in VTL1 (virtualization-based security); kemu has none.
        kernel.ThrowNotModelled("ExAllocatePool3 (PoolExtendedParameterSecurePool)");
      default:
        if (parameter.Optional != 0) continue;  // the kernel may ignore an optional parameter
        return RefuseAllocation(kernel, kName, Flags, NumberOfBytes, Tag);
    }
  }
  return AllocateWithFlags(kernel, kName, kemu::abi::ExportId::kExAllocatePool3, Flags,
                           NumberOfBytes, Tag);
}

VOID ExFreePoolWithTag(PVOID P, ULONG Tag) {
  kemu::model::Kernel& kernel = KEMU_ENTER(ExFreePoolWithTag, KEMU_ARG(P), KEMU_ARG(Tag));
  kernel.pool().Free("ExFreePoolWithTag", P, Tag, __builtin_return_address(0));
}

VOID ExFreePool(PVOID P) {
  kemu::model::Kernel& kernel = KEMU_ENTER(ExFreePool, KEMU_ARG(P));
  kernel.pool().Free("ExFreePool", P, std::nullopt, __builtin_return_address(0));
}

}  // extern "C"
