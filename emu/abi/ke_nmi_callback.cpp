// KeRegisterNmiCallback and KeDeregisterNmiCallback (IRQL <= APC_LEVEL; Windows Server 2003 on).
// The model keeps the registrations and runs them when a test raises an NMI
// (model/nmi_callbacks.hpp).
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

PVOID KeRegisterNmiCallback(PNMI_CALLBACK CallbackRoutine, PVOID Context) {
  static constexpr const char* kName = "KeRegisterNmiCallback";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeRegisterNmiCallback, KEMU_ARG(CallbackRoutine), KEMU_ARG(Context));
  kemu::abi::AtMost(kernel, kName, APC_LEVEL);
  // Windows would call NULL at the next NMI; kemu stops at the registration instead.
  kernel.verifier().Dereferenced(kName, CallbackRoutine, "CallbackRoutine");
  // "NULL if it is unable to register the callback": an injected fault.
  if (kernel.faults().Check(kemu::abi::ExportId::kKeRegisterNmiCallback)) return nullptr;
  return kernel.nmi_callbacks().Register(CallbackRoutine, Context);
}

NTSTATUS KeDeregisterNmiCallback(PVOID Handle) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeDeregisterNmiCallback, KEMU_ARG(Handle));
  kemu::abi::AtMost(kernel, "KeDeregisterNmiCallback", APC_LEVEL);
  return kernel.nmi_callbacks().Deregister(Handle);
}

}  // extern "C"
