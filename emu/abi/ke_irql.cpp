// IRQL exports (docs/windows-facts.md §5.2).
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

KIRQL KeGetCurrentIrql(VOID) { return KEMU_ENTER(KeGetCurrentIrql).irql().Current(); }

KIRQL KfRaiseIrql(KIRQL NewIrql) {
  return KEMU_ENTER(KfRaiseIrql, KEMU_ARG(NewIrql)).irql().Raise("KeRaiseIrql", NewIrql);
}

// Reached when a driver writes (KeRaiseIrql)(New, &Old); the macro form goes to KfRaiseIrql.
VOID(KeRaiseIrql)(KIRQL NewIrql, PKIRQL OldIrql) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeRaiseIrql, KEMU_ARG(NewIrql), KEMU_ARG(OldIrql));
  kernel.verifier().Dereferenced("KeRaiseIrql", OldIrql, "OldIrql");
  *OldIrql = kernel.irql().Raise("KeRaiseIrql", NewIrql);
}

VOID KeLowerIrql(KIRQL NewIrql) {
  KEMU_ENTER(KeLowerIrql, KEMU_ARG(NewIrql)).irql().Lower(NewIrql);
}

KIRQL KeRaiseIrqlToDpcLevel(VOID) {
  return KEMU_ENTER(KeRaiseIrqlToDpcLevel).irql().RaiseTo("KeRaiseIrqlToDpcLevel", DISPATCH_LEVEL);
}

KIRQL KeRaiseIrqlToSynchLevel(VOID) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeRaiseIrqlToSynchLevel);
  return kernel.irql().RaiseTo("KeRaiseIrqlToSynchLevel", kernel.personality().synch_level);
}

}  // extern "C"
