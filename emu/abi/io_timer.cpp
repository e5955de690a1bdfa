// I/O timer exports (IoInitializeTimer, IoStartTimer, IoStopTimer; model/io_timers.hpp). The
// IoTimer routine runs at DISPATCH_LEVEL from a DPC, once a second of virtual time.
#include <wdm.h>

#include "abi/entry.hpp"

extern "C" {

NTSTATUS IoInitializeTimer(PDEVICE_OBJECT DeviceObject, PIO_TIMER_ROUTINE TimerRoutine,
                           PVOID Context) {
  static constexpr const char* kName = "IoInitializeTimer";
  kemu::model::Kernel& kernel = KEMU_ENTER(IoInitializeTimer, KEMU_ARG(DeviceObject),
                                           KEMU_ARG(TimerRoutine), KEMU_ARG(Context));
  kemu::abi::AtMost(kernel, kName, PASSIVE_LEVEL, kemu::verifier_code::kIrqlIoPassive5);
  kernel.verifier().Dereferenced(kName, DeviceObject, "DeviceObject");
  // Windows would call it at the first tick; kemu reports it where the driver passed it.
  kernel.verifier().Dereferenced(kName, TimerRoutine, "TimerRoutine");
  // The timer is allocated, which can fail (a test injects the status; Microsoft's page names
  // none, STATUS_INSUFFICIENT_RESOURCES is the likely one).
  KEMU_FAULT_POINT(kernel, IoInitializeTimer);
  kernel.timers().io().Initialize(DeviceObject, TimerRoutine, Context);
  return STATUS_SUCCESS;
}

VOID IoStartTimer(PDEVICE_OBJECT DeviceObject) {
  static constexpr const char* kName = "IoStartTimer";
  kemu::model::Kernel& kernel = KEMU_ENTER(IoStartTimer, KEMU_ARG(DeviceObject));
  kemu::abi::AtMost(kernel, kName, DISPATCH_LEVEL);
  kernel.verifier().Dereferenced(kName, DeviceObject, "DeviceObject");
  kernel.timers().io().Start(DeviceObject);
}

VOID IoStopTimer(PDEVICE_OBJECT DeviceObject) {
  static constexpr const char* kName = "IoStopTimer";
  kemu::model::Kernel& kernel = KEMU_ENTER(IoStopTimer, KEMU_ARG(DeviceObject));
  kemu::abi::AtMost(kernel, kName, DISPATCH_LEVEL);
  kernel.verifier().Dereferenced(kName, DeviceObject, "DeviceObject");
  kernel.timers().io().Stop(DeviceObject);
}

}  // extern "C"
