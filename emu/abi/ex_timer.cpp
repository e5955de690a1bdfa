// System-allocated timer exports (EX_TIMER, Windows 8.1 on; model/ex_timers.hpp). The callback
// runs at DISPATCH_LEVEL from a DPC when the timer expires, as virtual time reaches its due time.
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

PEX_TIMER ExAllocateTimer(PEXT_CALLBACK Callback, PVOID CallbackContext, ULONG Attributes) {
  kemu::model::Kernel& kernel = KEMU_ENTER(ExAllocateTimer, KEMU_ARG(Callback),
                                           KEMU_ARG(CallbackContext), KEMU_ARG(Attributes));
  kemu::abi::AtMost(kernel, "ExAllocateTimer", DISPATCH_LEVEL);
  // Out of pool, Windows returns NULL.
  if (kernel.faults().Check(kemu::abi::ExportId::kExAllocateTimer)) return nullptr;
  return kernel.timers().ex().Allocate(Callback, CallbackContext, Attributes);
}

BOOLEAN ExSetTimer(PEX_TIMER Timer, LONGLONG DueTime, LONGLONG Period,
                   PEXT_SET_PARAMETERS Parameters) {
  kemu::model::Kernel& kernel = KEMU_ENTER(ExSetTimer, KEMU_ARG(Timer), KEMU_ARG(DueTime),
                                           KEMU_ARG(Period), KEMU_ARG(Parameters));
  return kemu::abi::AtMost(kernel, "ExSetTimer", DISPATCH_LEVEL)
      .timers()
      .ex()
      .Set(Timer, DueTime, Period, Parameters);
}

BOOLEAN ExCancelTimer(PEX_TIMER Timer, PEXT_CANCEL_PARAMETERS Parameters) {
  kemu::model::Kernel& kernel = KEMU_ENTER(ExCancelTimer, KEMU_ARG(Timer), KEMU_ARG(Parameters));
  return kemu::abi::AtMost(kernel, "ExCancelTimer", DISPATCH_LEVEL)
      .timers()
      .ex()
      .Cancel(Timer, Parameters);
}

// With Wait the routine may block: IRQL <= APC_LEVEL, as Microsoft documents (a callback, at
// DISPATCH_LEVEL, must pass Wait FALSE); without it, <= DISPATCH_LEVEL.
BOOLEAN ExDeleteTimer(PEX_TIMER Timer, BOOLEAN Cancel, BOOLEAN Wait,
                      PEXT_DELETE_PARAMETERS Parameters) {
  kemu::model::Kernel& kernel = KEMU_ENTER(ExDeleteTimer, KEMU_ARG(Timer), KEMU_ARG(Cancel),
                                           KEMU_ARG(Wait), KEMU_ARG(Parameters));
  return kemu::abi::AtMost(kernel, "ExDeleteTimer", Wait ? APC_LEVEL : DISPATCH_LEVEL)
      .timers()
      .ex()
      .Delete(Timer, Cancel, Wait, Parameters);
}

}  // extern "C"
