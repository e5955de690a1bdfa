// The calling thread's processor affinity (KeSetSystemAffinityThread and friends) and
// KeIpiGenericCall. The model moves the thread (model/affinity.hpp) and runs the broadcast
// (model/ipi_calls.hpp).
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

VOID KeSetSystemAffinityThread(KAFFINITY Affinity) {
  KEMU_ENTER(KeSetSystemAffinityThread, KEMU_ARG(Affinity))
      .affinity()
      .SetSystem("KeSetSystemAffinityThread", Affinity);
}

VOID KeRevertToUserAffinityThread(VOID) {
  KEMU_ENTER(KeRevertToUserAffinityThread).affinity().Revert("KeRevertToUserAffinityThread", 0);
}

KAFFINITY KeSetSystemAffinityThreadEx(KAFFINITY Affinity) {
  return KEMU_ENTER(KeSetSystemAffinityThreadEx, KEMU_ARG(Affinity))
      .affinity()
      .SetSystem("KeSetSystemAffinityThreadEx", Affinity);
}

VOID KeRevertToUserAffinityThreadEx(KAFFINITY Affinity) {
  KEMU_ENTER(KeRevertToUserAffinityThreadEx, KEMU_ARG(Affinity))
      .affinity()
      .Revert("KeRevertToUserAffinityThreadEx", Affinity);
}

VOID KeSetSystemGroupAffinityThread(PGROUP_AFFINITY Affinity, PGROUP_AFFINITY PreviousAffinity) {
  static constexpr const char* kName = "KeSetSystemGroupAffinityThread";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeSetSystemGroupAffinityThread, KEMU_ARG(Affinity), KEMU_ARG(PreviousAffinity));
  kernel.verifier().Dereferenced(kName, Affinity, "Affinity");
  kernel.affinity().SetSystemGroup(kName, *Affinity, PreviousAffinity);
}

VOID KeRevertToUserGroupAffinityThread(PGROUP_AFFINITY PreviousAffinity) {
  static constexpr const char* kName = "KeRevertToUserGroupAffinityThread";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeRevertToUserGroupAffinityThread, KEMU_ARG(PreviousAffinity));
  kernel.verifier().Dereferenced(kName, PreviousAffinity, "PreviousAffinity");
  kernel.affinity().RevertGroup(kName, *PreviousAffinity);
}

ULONG_PTR KeIpiGenericCall(PKIPI_BROADCAST_WORKER BroadcastFunction, ULONG_PTR Context) {
  static constexpr const char* kName = "KeIpiGenericCall";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeIpiGenericCall, KEMU_ARG(BroadcastFunction), KEMU_ARG(Context));
  const KIRQL irql = kernel.irql().Current();
  // Below IPI_LEVEL: the call interrupts the calling processor too.
  if (irql >= IPI_LEVEL) kernel.verifier().IrqlAboveMaximum(kName, irql, IPI_LEVEL - 1);
  kernel.verifier().Dereferenced(kName, BroadcastFunction, "BroadcastFunction");
  return kernel.ipi_calls().Call(BroadcastFunction, Context);
}

}  // extern "C"
