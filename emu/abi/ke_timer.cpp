// Timer exports (conformance DPC-9): timers expire as virtual time reaches their due time.
#include <wdm.h>

#include "abi/entry.hpp"

namespace {

kemu::model::Kernel& AtMostDispatch(kemu::model::Kernel& kernel, const char* routine,
                                    PKTIMER timer) {
  const KIRQL irql = kernel.irql().Current();
  if (irql > DISPATCH_LEVEL) kernel.verifier().IrqlAboveMaximum(routine, irql, DISPATCH_LEVEL);
  kernel.verifier().Dereferenced(routine, timer, "Timer");
  return kernel;
}

void Initialize(kemu::model::Kernel& kernel, const char* routine, PKTIMER timer, int type) {
  kernel.verifier().Dereferenced(routine, timer, "Timer");
  kernel.pool().RequireNonpaged(routine, "timer", timer);
  if (type != NotificationTimer && type != SynchronizationTimer) {
    kernel.verifier().EnumArgumentOutOfRange(routine, "Type", type, kemu::abi::Arg(timer));
  }
  kernel.timers().Initialize(
      timer, type == SynchronizationTimer ? SynchronizationTimer : NotificationTimer);
}

}  // namespace

extern "C" {

VOID KeInitializeTimer(PKTIMER Timer) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeInitializeTimer, KEMU_ARG(Timer));
  Initialize(kernel, "KeInitializeTimer", Timer, NotificationTimer);
}

VOID KeInitializeTimerEx(PKTIMER Timer, TIMER_TYPE Type) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeInitializeTimerEx, KEMU_ARG(Timer), KEMU_ARG(Type));
  Initialize(kernel, "KeInitializeTimerEx", Timer, static_cast<int>(kemu::abi::Arg(Type)));
}

BOOLEAN KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeSetTimer, KEMU_ARG(Timer),
                 {"DueTime", static_cast<std::uint64_t>(DueTime.QuadPart)}, KEMU_ARG(Dpc));
  return AtMostDispatch(kernel, "KeSetTimer", Timer)
      .timers()
      .Set("KeSetTimer", Timer, DueTime.QuadPart, 0, Dpc);
}

BOOLEAN KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc) {
  kemu::model::Kernel& kernel = KEMU_ENTER(
      KeSetTimerEx, KEMU_ARG(Timer), {"DueTime", static_cast<std::uint64_t>(DueTime.QuadPart)},
      KEMU_ARG(Period), KEMU_ARG(Dpc));
  return AtMostDispatch(kernel, "KeSetTimerEx", Timer)
      .timers()
      .Set("KeSetTimerEx", Timer, DueTime.QuadPart, Period, Dpc);
}

// kemu expires every timer exactly at its due time: any tolerable delay is met.
BOOLEAN KeSetCoalescableTimer(PKTIMER Timer, LARGE_INTEGER DueTime, ULONG Period,
                              ULONG TolerableDelay, PKDPC Dpc) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeSetCoalescableTimer, KEMU_ARG(Timer),
                 {"DueTime", static_cast<std::uint64_t>(DueTime.QuadPart)}, KEMU_ARG(Period),
                 KEMU_ARG(TolerableDelay), KEMU_ARG(Dpc));
  return AtMostDispatch(kernel, "KeSetCoalescableTimer", Timer)
      .timers()
      .Set("KeSetCoalescableTimer", Timer, DueTime.QuadPart, static_cast<LONG>(Period), Dpc);
}

BOOLEAN KeCancelTimer(PKTIMER Timer) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeCancelTimer, KEMU_ARG(Timer));
  return AtMostDispatch(kernel, "KeCancelTimer", Timer).timers().Cancel("KeCancelTimer", Timer);
}

BOOLEAN KeReadStateTimer(PKTIMER Timer) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeReadStateTimer, KEMU_ARG(Timer));
  return AtMostDispatch(kernel, "KeReadStateTimer", Timer)
      .timers()
      .ReadState("KeReadStateTimer", Timer);
}

}  // extern "C"
