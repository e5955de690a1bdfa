// Executive resource exports (docs/kernel.md, "Executive resources"), and PsGetCurrentThread,
// which ExGetCurrentResourceThread reads.
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

PETHREAD PsGetCurrentThread(VOID) {
  return reinterpret_cast<PETHREAD>(KEMU_ENTER(PsGetCurrentThread).dispatcher().CurrentThread());
}

NTSTATUS ExInitializeResourceLite(PERESOURCE Resource) {
  kemu::model::Kernel& kernel = KEMU_ENTER(ExInitializeResourceLite, KEMU_ARG(Resource));
  kernel.verifier().Dereferenced("ExInitializeResourceLite", Resource, "Resource");
  kernel.pool().RequireNonpaged("ExInitializeResourceLite", "executive resource", Resource);
  kernel.resources().Initialize("ExInitializeResourceLite", Resource, /*again=*/false);
  return STATUS_SUCCESS;
}

NTSTATUS ExReinitializeResourceLite(PERESOURCE Resource) {
  KEMU_ENTER(ExReinitializeResourceLite, KEMU_ARG(Resource))
      .resources()
      .Initialize("ExReinitializeResourceLite", Resource, /*again=*/true);
  return STATUS_SUCCESS;
}

NTSTATUS ExDeleteResourceLite(PERESOURCE Resource) {
  KEMU_ENTER(ExDeleteResourceLite, KEMU_ARG(Resource))
      .resources()
      .Delete("ExDeleteResourceLite", Resource);
  return STATUS_SUCCESS;
}

BOOLEAN ExAcquireResourceExclusiveLite(PERESOURCE Resource, BOOLEAN Wait) {
  return KEMU_ENTER(ExAcquireResourceExclusiveLite, KEMU_ARG(Resource), KEMU_ARG(Wait))
                 .resources()
                 .Acquire("ExAcquireResourceExclusiveLite", Resource, /*exclusive=*/true,
                          Wait != FALSE)
             ? TRUE
             : FALSE;
}

BOOLEAN ExAcquireResourceSharedLite(PERESOURCE Resource, BOOLEAN Wait) {
  return KEMU_ENTER(ExAcquireResourceSharedLite, KEMU_ARG(Resource), KEMU_ARG(Wait))
                 .resources()
                 .Acquire("ExAcquireResourceSharedLite", Resource, /*exclusive=*/false,
                          Wait != FALSE)
             ? TRUE
             : FALSE;
}

BOOLEAN ExAcquireSharedStarveExclusive(PERESOURCE Resource, BOOLEAN Wait) {
  return KEMU_ENTER(ExAcquireSharedStarveExclusive, KEMU_ARG(Resource), KEMU_ARG(Wait))
                 .resources()
                 .Acquire("ExAcquireSharedStarveExclusive", Resource, /*exclusive=*/false,
                          Wait != FALSE, /*starve_exclusive=*/true)
             ? TRUE
             : FALSE;
}

VOID ExConvertExclusiveToSharedLite(PERESOURCE Resource) {
  KEMU_ENTER(ExConvertExclusiveToSharedLite, KEMU_ARG(Resource))
      .resources()
      .ConvertToShared("ExConvertExclusiveToSharedLite", Resource);
}

VOID ExReleaseResourceLite(PERESOURCE Resource) {
  KEMU_ENTER(ExReleaseResourceLite, KEMU_ARG(Resource))
      .resources()
      .Release("ExReleaseResourceLite", Resource, /*thread=*/0);
}

VOID ExReleaseResourceForThreadLite(PERESOURCE Resource, ERESOURCE_THREAD ResourceThreadId) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(ExReleaseResourceForThreadLite, KEMU_ARG(Resource), KEMU_ARG(ResourceThreadId));
  // No thread is at address 0: a zero id is a thread that owns nothing, not "the current one".
  kernel.resources().Release("ExReleaseResourceForThreadLite", Resource,
                             ResourceThreadId == 0 ? ~ERESOURCE_THREAD{0} : ResourceThreadId);
}

BOOLEAN ExIsResourceAcquiredExclusiveLite(PERESOURCE Resource) {
  return KEMU_ENTER(ExIsResourceAcquiredExclusiveLite, KEMU_ARG(Resource))
                 .resources()
                 .IsAcquiredExclusive("ExIsResourceAcquiredExclusiveLite", Resource)
             ? TRUE
             : FALSE;
}

ULONG ExIsResourceAcquiredSharedLite(PERESOURCE Resource) {
  return KEMU_ENTER(ExIsResourceAcquiredSharedLite, KEMU_ARG(Resource))
      .resources()
      .AcquiredCount("ExIsResourceAcquiredSharedLite", Resource);
}

ULONG ExGetExclusiveWaiterCount(PERESOURCE Resource) {
  return KEMU_ENTER(ExGetExclusiveWaiterCount, KEMU_ARG(Resource))
      .resources()
      .WaiterCount("ExGetExclusiveWaiterCount", Resource, /*exclusive=*/true);
}

ULONG ExGetSharedWaiterCount(PERESOURCE Resource) {
  return KEMU_ENTER(ExGetSharedWaiterCount, KEMU_ARG(Resource))
      .resources()
      .WaiterCount("ExGetSharedWaiterCount", Resource, /*exclusive=*/false);
}

}  // extern "C"
