// Event exports (conformance EV-1..EV-3) and critical regions (SL-12).
#include <wdm.h>

#include <cstdint>

#include "abi/entry.hpp"

namespace {

/// KeEnter/LeaveCriticalRegion's IRQL rule: at most APC_LEVEL, Verifier's `code` from Windows 7
/// on (`rule` names it), 0xE5 on Vista.
void AtMostApcForRegion(kemu::model::Kernel& kernel, const char* routine, std::uint64_t code,
                        const char* rule) {
  const KIRQL irql = kernel.irql().Current();
  if (irql <= APC_LEVEL) return;
  kernel.verifier().IrqlRuleWithCode(routine, irql, APC_LEVEL, /*above=*/true,
                                     kernel.personality().verifier_irql_rule_codes, code,
                                     {irql, 0, 0}, {rule, "current IRQL", nullptr, nullptr});
}

/// KeSetEvent and KePulseEvent: the IRQL rule, then Wait=TRUE's hand-over to the next wait.
LONG SignalEvent(kemu::model::Kernel& kernel, const char* routine, PRKEVENT event, bool pulse,
                 BOOLEAN wait) {
  const KIRQL irql = kernel.irql().Current();
  if (irql > DISPATCH_LEVEL) {
    kernel.verifier().SetEventAboveDispatch(routine, irql, event);
  } else if (wait && irql > APC_LEVEL) {
    // The wait that must follow would have to block at DISPATCH_LEVEL: Wait=TRUE needs
    // IRQL <= APC_LEVEL (DDI rule IrqlKeSetEvent).
    kernel.verifier().IrqlAboveMaximum(routine, irql, APC_LEVEL,
                                       kemu::verifier_code::kIrqlKeSetEvent);
  }
  const LONG previous = kernel.dispatcher().SetEvent(routine, event);
  if (pulse) {
    // The pulse reached only the waits it satisfied: a later one learns nothing from it.
    event->Header.SignalState = 0;
    kernel.dispatcher().ForgetSignals(&event->Header);
  }
  if (wait) kernel.dispatcher().HoldForNextWait(irql);  // EV-2
  return previous;
}

}  // namespace

extern "C" {

VOID KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeInitializeEvent, KEMU_ARG(Event), KEMU_ARG(Type), KEMU_ARG(State));
  kernel.verifier().Dereferenced("KeInitializeEvent", Event, "Event");
  kernel.pool().RequireNonpaged("KeInitializeEvent", "event", Event);
  const auto type = static_cast<int>(kemu::abi::Arg(Type));
  if (type != NotificationEvent && type != SynchronizationEvent) {
    kernel.verifier().EnumArgumentOutOfRange("KeInitializeEvent", "Type", type,
                                             kemu::abi::Arg(Event));
  }
  kernel.dispatcher().InitializeEvent(
      Event, type == SynchronizationEvent ? SynchronizationEvent : NotificationEvent, State != 0);
}

LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KeSetEvent, KEMU_ARG(Event), KEMU_ARG(Increment), KEMU_ARG(Wait));
  return SignalEvent(kernel, "KeSetEvent", Event, /*pulse=*/false, Wait);
}

LONG KePulseEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait) {
  kemu::model::Kernel& kernel =
      KEMU_ENTER(KePulseEvent, KEMU_ARG(Event), KEMU_ARG(Increment), KEMU_ARG(Wait));
  return SignalEvent(kernel, "KePulseEvent", Event, /*pulse=*/true, Wait);
}

LONG KeResetEvent(PRKEVENT Event) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeResetEvent, KEMU_ARG(Event));
  return kemu::abi::AtMost(kernel, "KeResetEvent", DISPATCH_LEVEL)
      .dispatcher()
      .ResetEvent("KeResetEvent", Event);
}

VOID KeClearEvent(PRKEVENT Event) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeClearEvent, KEMU_ARG(Event));
  (void)kemu::abi::AtMost(kernel, "KeClearEvent", DISPATCH_LEVEL)
      .dispatcher()
      .ResetEvent("KeClearEvent", Event);
}

LONG KeReadStateEvent(PRKEVENT Event) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeReadStateEvent, KEMU_ARG(Event));
  kemu::abi::AtMost(kernel, "KeReadStateEvent", DISPATCH_LEVEL)
      .dispatcher()
      .CheckObject("KeReadStateEvent", Event);
  return Event->Header.SignalState;
}

VOID KeEnterCriticalRegion(VOID) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeEnterCriticalRegion);
  AtMostApcForRegion(kernel, "KeEnterCriticalRegion",
                     kemu::verifier_code::kEnterCriticalRegionAboveApc,
                     "0x11A: KeEnterCriticalRegion above APC_LEVEL");
  ++kernel.dispatcher().critical_regions(kernel.current_processor());
}

VOID KeLeaveCriticalRegion(VOID) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeLeaveCriticalRegion);
  AtMostApcForRegion(kernel, "KeLeaveCriticalRegion",
                     kemu::verifier_code::kLeaveCriticalRegionAboveApc,
                     "0x11B: KeLeaveCriticalRegion above APC_LEVEL");
  int& regions = kernel.dispatcher().critical_regions(kernel.current_processor());
  if (regions == 0) {
    kernel.verifier().CriticalRegionUnderflow(regions);
    return;
  }
  --regions;
}

// SL-12: the critical-region count alone, whatever the IRQL or the spin locks held.
BOOLEAN KeAreApcsDisabled(VOID) {
  kemu::model::Kernel& kernel = KEMU_ENTER(KeAreApcsDisabled);
  // A kernel mutex disables its owner's normal kernel APCs as a critical region does; a guarded
  // region (a guarded mutex) disables every APC.
  const unsigned cpu = kernel.current_processor();
  return kernel.dispatcher().critical_regions(cpu) > 0 ||
                 kernel.dispatcher().kernel_mutexes_owned(cpu) > 0 ||
                 kernel.dispatcher().guarded_regions(cpu) > 0
             ? TRUE
             : FALSE;
}

}  // extern "C"
