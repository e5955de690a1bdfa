// Executive pool exports: ExAllocatePoolWithTag, ExAllocatePoolWithQuotaTag, ExAllocatePool2,
// ExFreePool and ExFreePoolWithTag. Each decodes its arguments into a model::PoolRequest; the
// checks live in model::Pool and the verifier's pool rules.
#include <wdm.h>

#include <cstdint>
#include <optional>

#include "abi/entry.hpp"

namespace {

// What the low bits of a POOL_TYPE say: bit 0 paged, bit 2 cache aligned; bits 3 and 4 choose
// what a failed allocation does.
constexpr std::uint32_t kPagedBit = 1;
constexpr std::uint32_t kCacheAlignedBit = 4;

kemu::model::PoolRequest FromPoolType(const char* routine, kemu::abi::ExportId id,
                                      std::uint32_t type, SIZE_T bytes, ULONG tag) {
  return {.routine = routine,
          .id = id,
          .type = type,
          .paged = (type & kPagedBit) != 0,
          .cache_aligned = (type & kCacheAlignedBit) != 0,
          .bytes = bytes,
          .tag = tag};
}

// ExAllocatePool2's required flags (the low 32 bits); any other required bit fails the call.
constexpr POOL_FLAGS kKnownRequiredFlags = POOL_FLAG_USE_QUOTA | POOL_FLAG_UNINITIALIZED |
                                           POOL_FLAG_SESSION | POOL_FLAG_CACHE_ALIGNED |
                                           POOL_FLAG_RAISE_ON_FAILURE | POOL_FLAG_NON_PAGED |
                                           POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED;
constexpr POOL_FLAGS kRequiredMask = 0xFFFFFFFFull;

}  // namespace

extern "C" {

PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag) {
  // Any int is a POOL_TYPE value (the WDK enums are int-based), modifier bits included.
  const auto type = static_cast<std::uint32_t>(PoolType);
  kemu::model::Kernel& kernel =
      KEMU_ENTER(ExAllocatePoolWithTag, {"PoolType", type}, KEMU_ARG(NumberOfBytes), KEMU_ARG(Tag));
  kemu::model::PoolRequest request =
      FromPoolType("ExAllocatePoolWithTag", kemu::abi::ExportId::kExAllocatePoolWithTag, type,
                   NumberOfBytes, Tag);
  request.raise_on_failure = (type & POOL_RAISE_IF_ALLOCATION_FAILURE) != 0;
  return kernel.pool().Allocate(request);
}

PVOID ExAllocatePoolWithQuotaTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag) {
  const auto type = static_cast<std::uint32_t>(PoolType);
  kemu::model::Kernel& kernel = KEMU_ENTER(ExAllocatePoolWithQuotaTag, {"PoolType", type},
                                           KEMU_ARG(NumberOfBytes), KEMU_ARG(Tag));
  kemu::model::PoolRequest request =
      FromPoolType("ExAllocatePoolWithQuotaTag", kemu::abi::ExportId::kExAllocatePoolWithQuotaTag,
                   type, NumberOfBytes, Tag);
  // Quota allocations raise on failure unless told to return NULL.
  request.raise_on_failure = (type & POOL_QUOTA_FAIL_INSTEAD_OF_RAISE) == 0;
  return kernel.pool().Allocate(request);
}

PVOID ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag) {
  static constexpr const char* kName = "ExAllocatePool2";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(ExAllocatePool2, KEMU_ARG(Flags), KEMU_ARG(NumberOfBytes), KEMU_ARG(Tag));
  const bool raise = (Flags & POOL_FLAG_RAISE_ON_FAILURE) != 0;
  const POOL_FLAGS kind =
      Flags & (POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED);
  const bool one_kind = kind != 0 && (kind & (kind - 1)) == 0;
  // A zero tag, an unknown required flag or not exactly one kind of pool fail the call (the high
  // 32 bits are hints, ignored when unknown).
  if (Tag == 0 || (Flags & kRequiredMask & ~kKnownRequiredFlags) != 0 || !one_kind) {
    if (raise) kernel.verifier().PoolAllocationRaised(kName, NumberOfBytes, Tag);
    return nullptr;
  }
  const bool paged = kind == POOL_FLAG_PAGED;
  const bool cache_aligned = (Flags & POOL_FLAG_CACHE_ALIGNED) != 0;
  // Reports show the POOL_TYPE the flags stand for.
  std::uint32_t type = paged                         ? PagedPool
                       : kind == POOL_FLAG_NON_PAGED ? NonPagedPoolNx
                                                     : NonPagedPool;
  if (cache_aligned) type |= kCacheAlignedBit;
  return kernel.pool().Allocate({.routine = kName,
                                 .id = kemu::abi::ExportId::kExAllocatePool2,
                                 .type = type,
                                 .paged = paged,
                                 .cache_aligned = cache_aligned,
                                 .bytes = NumberOfBytes,
                                 .tag = Tag,
                                 .zero = (Flags & POOL_FLAG_UNINITIALIZED) == 0,
                                 .raise_on_failure = raise});
}

VOID ExFreePoolWithTag(PVOID P, ULONG Tag) {
  kemu::model::Kernel& kernel = KEMU_ENTER(ExFreePoolWithTag, KEMU_ARG(P), KEMU_ARG(Tag));
  kernel.pool().Free("ExFreePoolWithTag", P, Tag);
}

VOID ExFreePool(PVOID P) {
  kemu::model::Kernel& kernel = KEMU_ENTER(ExFreePool, KEMU_ARG(P));
  kernel.pool().Free("ExFreePool", P, std::nullopt);
}

}  // extern "C"
