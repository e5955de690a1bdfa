// KeGenericCallDpc, KeSignalCallDpcSynchronize and KeSignalCallDpcDone (DPC-10): a routine run as
// a DPC on every vCPU, meeting at reverse barriers. The model runs the calls and checks the IRQL.
#include <kemu_wdk_generic_dpc.h>
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

VOID KeGenericCallDpc(PKDEFERRED_ROUTINE Routine, PVOID Context) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeGenericCallDpc, KEMU_ARG(Routine), KEMU_ARG(Context));
  const KIRQL irql = kernel.irql().Current();
  if (irql > APC_LEVEL) kernel.verifier().IrqlAboveMaximum("KeGenericCallDpc", irql, APC_LEVEL);
  kernel.verifier().Dereferenced("KeGenericCallDpc", Routine, "Routine");
  kernel.generic_calls().Call(Routine, Context);
}

LOGICAL KeSignalCallDpcSynchronize(PVOID SystemArgument2) {
  return KEMU_ENTER(KeSignalCallDpcSynchronize, KEMU_ARG(SystemArgument2))
      .generic_calls()
      .Synchronize(SystemArgument2);
}

VOID KeSignalCallDpcDone(PVOID SystemArgument1) {
  KEMU_ENTER(KeSignalCallDpcDone, KEMU_ARG(SystemArgument1)).generic_calls().Done(SystemArgument1);
}

}  // extern "C"
