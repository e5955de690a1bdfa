// KeRegisterBugCheckCallback, KeDeregisterBugCheckCallback and their Reason pair (any IRQL). The
// model keeps the records and calls them when the machine stops on a bug check
// (model/bugcheck_callbacks.hpp).
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

BOOLEAN KeRegisterBugCheckCallback(PKBUGCHECK_CALLBACK_RECORD CallbackRecord,
                                   PKBUGCHECK_CALLBACK_ROUTINE CallbackRoutine, PVOID Buffer,
                                   ULONG Length, PUCHAR Component) {
  static constexpr const char* kName = "KeRegisterBugCheckCallback";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeRegisterBugCheckCallback, KEMU_ARG(CallbackRecord), KEMU_ARG(CallbackRoutine),
                 KEMU_ARG(Buffer), KEMU_ARG(Length), KEMU_ARG(Component));
  kernel.verifier().Dereferenced(kName, CallbackRecord, "CallbackRecord");
  // Windows would call NULL at the bug check; kemu stops at the registration instead.
  kernel.verifier().Dereferenced(kName, CallbackRoutine, "CallbackRoutine");
  return kernel.bugcheck_callbacks().Register(CallbackRecord, CallbackRoutine, Buffer, Length,
                                              Component);
}

BOOLEAN KeDeregisterBugCheckCallback(PKBUGCHECK_CALLBACK_RECORD CallbackRecord) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeDeregisterBugCheckCallback, KEMU_ARG(CallbackRecord));
  kernel.verifier().Dereferenced("KeDeregisterBugCheckCallback", CallbackRecord, "CallbackRecord");
  return kernel.bugcheck_callbacks().Deregister(CallbackRecord);
}

BOOLEAN KeRegisterBugCheckReasonCallback(PKBUGCHECK_REASON_CALLBACK_RECORD CallbackRecord,
                                         PKBUGCHECK_REASON_CALLBACK_ROUTINE CallbackRoutine,
                                         KBUGCHECK_CALLBACK_REASON Reason, PUCHAR Component) {
  static constexpr const char* kName = "KeRegisterBugCheckReasonCallback";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeRegisterBugCheckReasonCallback, KEMU_ARG(CallbackRecord),
                 KEMU_ARG(CallbackRoutine), KEMU_ARG(Reason), KEMU_ARG(Component));
  kernel.verifier().Dereferenced(kName, CallbackRecord, "CallbackRecord");
  kernel.verifier().Dereferenced(kName, CallbackRoutine, "CallbackRoutine");
  return kernel.bugcheck_callbacks().RegisterReason(CallbackRecord, CallbackRoutine, Reason,
                                                    Component);
}

BOOLEAN KeDeregisterBugCheckReasonCallback(PKBUGCHECK_REASON_CALLBACK_RECORD CallbackRecord) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeDeregisterBugCheckReasonCallback, KEMU_ARG(CallbackRecord));
  kernel.verifier().Dereferenced("KeDeregisterBugCheckReasonCallback", CallbackRecord,
                                 "CallbackRecord");
  return kernel.bugcheck_callbacks().DeregisterReason(CallbackRecord);
}

}  // extern "C"
