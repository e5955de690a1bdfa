// DPC rules: docs/windows-facts.md §7, conformance DPC-8 and DPC-12.
#include <fmt/format.h>

#include "kemu/bugcheck.hpp"
#include "verifier/access_fault.hpp"
#include "verifier/verifier.hpp"

namespace kemu::verifier {
void Verifier::UninitializedDpc(const char* routine, PKDPC dpc) {
  const std::string summary = fmt::format(
      "{} was given the KDPC at {}, which was never initialised with KeInitializeDpc (or "
      "IoInitializeDpcRequest). Initialise DPCs before connecting the interrupt that queues "
      "them.",
      routine, static_cast<const void*>(dpc));
  if (mode_ == CheckMode::kVerifier) {
    host_.Crash({.code = bugcheck::kDriverVerifierDetectedViolation,
                 .parameters = {verifier_code::kUninitializedDpc, Address(dpc), 0, 0},
                 .parameter_names = {"kemu: uninitialised DPC", "KDPC address", nullptr, nullptr},
                 .summary = summary});
  }
  // Without Verifier the kernel queues whatever is there and later calls through the garbage
  // DeferredRoutine: the access violation kemu reports where the cause is, 0xA at DISPATCH_LEVEL
  // and above (an ISR or DPC queueing it), as every fault there (audit round 19, C5).
  CrashAccessingAt(host_, 0, summary);
}

void Verifier::DpcReinitializedWhileQueued(PKDPC dpc) {
  // UNCONFIRMED: KeInitializeDpc only writes the KDPC's fields and never looks at its queue, so a
  // kernel without Verifier says nothing; the DPC stays queued (Dpcs::Initialize).
  if (mode_ != CheckMode::kVerifier) return;
  host_.Crash({.code = bugcheck::kDriverVerifierDetectedViolation,
               .parameters = {verifier_code::kDpcReinitializedWhileQueued, Address(dpc), 0, 0},
               .parameter_names = {"kemu: DPC re-initialised while queued", "KDPC address", nullptr,
                                   nullptr},
               .summary = fmt::format(
                   "KeInitializeDpc was called on the KDPC at {} while it is queued; Windows "
                   "would corrupt its DPC queue. Remove it (KeRemoveQueueDpc) first.",
                   static_cast<const void*>(dpc))});
}

void Verifier::DpcReturnedAtWrongIrql(PKDPC dpc, KIRQL irql, KIRQL expected) {
  // 0xC8 P1 packs (current << 16) | (expected << 8) | a location code (0 here). A threaded DPC run
  // at PASSIVE_LEVEL must return there; that Windows reports it with 0xC8 too is UNCONFIRMED.
  host_.Crash(
      {.code = bugcheck::kIrqlUnexpectedValue,
       .parameters = {(std::uint64_t{irql} << 16) | (std::uint64_t{expected} << 8), 0, 0, 0},
       .parameter_names = {"(current IRQL << 16) | (expected IRQL << 8)", nullptr, nullptr,
                           nullptr},
       .summary = fmt::format(
           "The DPC routine {} (KDPC at {}) returned at IRQL {}; it was called at {} "
           "and must return there.",
           reinterpret_cast<const void*>(dpc->DeferredRoutine), static_cast<const void*>(dpc), irql,
           expected == DISPATCH_LEVEL ? "DISPATCH_LEVEL" : "PASSIVE_LEVEL (a threaded DPC)")});
}

void Verifier::DpcChangedApcDisable(PKDPC dpc, unsigned before, unsigned after) {
  // Windows counts KernelApcDisable down from 0: entering a critical region or acquiring a kernel
  // mutex decrements it. The arguments are that count, before and after the routine ran.
  const auto as_count = [](unsigned disabled) {
    return static_cast<std::uint64_t>(static_cast<std::uint16_t>(-static_cast<int>(disabled)));
  };
  const auto routine = reinterpret_cast<std::uintptr_t>(dpc->DeferredRoutine);
  host_.Crash(
      {.code = bugcheck::kTimerOrDpcInvalid,
       .parameters = {4, routine, as_count(before), as_count(after)},
       .parameter_names = {"4: APC disable count changed in a DPC routine", "DPC routine",
                           "APC disable count before the routine", "APC disable count after it"},
       .summary = fmt::format(
           "The DPC routine {:#x} (KDPC at {}) returned holding {} critical region(s) and kernel "
           "mutex(es) where it was called holding {}. A DPC routine must leave every critical "
           "region it enters and release every kernel mutex it acquires, and only those.",
           routine, static_cast<const void*>(dpc), after, before)});
}

void Verifier::DpcWatchdog(std::uint64_t dpcs_run) {
  host_.Crash({.code = bugcheck::kDpcWatchdogViolation,
               .parameters = {1, dpcs_run, 0, 0},
               .parameter_names = {"1: cumulative time at DISPATCH_LEVEL or above",
                                   "DPCs run without leaving DISPATCH_LEVEL (kemu's bound)",
                                   nullptr, nullptr},
               .summary = fmt::format("{} DPC routines ran back to back without the processor "
                                      "leaving DISPATCH_LEVEL; a DPC that re-queues itself "
                                      "forever starves the system.",
                                      dpcs_run)});
}

void Verifier::DpcChainNeverEnds(PKDPC dpc, std::uint64_t chain) {
  // Windows keeps the processors busy for ever (each leaves DISPATCH_LEVEL between two of the
  // routines, so no watchdog fires): a livelock. kemu stops it with a report.
  host_.Crash({.code = bugcheck::kDriverVerifierDetectedViolation,
               .parameters = {verifier_code::kDpcChainNeverEnds,
                              reinterpret_cast<std::uintptr_t>(dpc), chain, 0},
               .parameter_names = {"kemu: DPCs keep queueing each other", "KDPC",
                                   "DPC routines in the chain", nullptr},
               .summary = fmt::format(
                   "The DPC at {} (routine {}) was queued by a DPC routine that was itself queued "
                   "by one, {} times in a row: DPC routines that keep queueing each other (from "
                   "one vCPU to another, or a DPC re-queueing itself on another vCPU) never let "
                   "the machine settle. Windows would keep the processors busy for ever; end the "
                   "chain (a count, a stop flag checked before re-queueing).",
                   static_cast<const void*>(dpc),
                   reinterpret_cast<const void*>(dpc->DeferredRoutine), chain)});
}

void Verifier::RoutineOverran(const void* routine, const void* object, bool isr, bool threaded,
                              std::uint64_t used_us, std::uint64_t limit_us) {
  // Parameters 2 and 3 are in clock ticks (15.625 ms, KeQueryTimeIncrement); the time used is
  // rounded up, so a routine just past its allotment shows one tick more than it, as in
  // Microsoft's example (0x501 of 0x500).
  constexpr std::uint64_t kTickUs = 15625;
  host_.Crash(
      {.code = bugcheck::kDpcWatchdogViolation,
       .parameters = {0, (used_us + kTickUs - 1) / kTickUs, limit_us / kTickUs, 0},
       .parameter_names = {"0: a single DPC or ISR exceeded its time allotment",
                           "time used (clock ticks)", "time allotted (clock ticks)", nullptr},
       .summary = fmt::format(
           "The {} routine {} ({} at {}) ran for {} us, past the DPC watchdog's allotment of {} "
           "us (kemu counts the virtual time that passes inside it, stalls and waits, plus 1 us "
           "per kernel call). A DPC should finish in 100 us and an ISR in 25 us; a routine that "
           "polls hardware must give up after a bounded time, or leave the waiting to a timer "
           "or a work item.{} The allotment is MachineOptions::dpc_time_limit_us (scenario "
           "machine: dpc_time_limit_us).",
           isr ? "interrupt service" : (threaded ? "threaded DPC" : "DPC"), routine,
           isr ? "KINTERRUPT" : "KDPC", object, used_us, limit_us,
           threaded ? " A threaded DPC runs at PASSIVE_LEVEL while threaded DPCs are enabled, "
                      "where Windows' watchdog does not time it; but it must also be correct as "
                      "an ordinary DPC, which it is where threaded DPCs are turned off "
                      "(ThreadDpcEnable = 0), and there this is the bug check."
                    : "")});
}

void Verifier::TargetProcessorOutOfRange(PKDPC dpc, unsigned processor, unsigned count) {
  // Before Windows 7 only (from Windows 7 on the number is ignored, as documented, and no rule
  // applies). Without Verifier KeSetTargetProcessorDpc stores the number unchecked (UNCONFIRMED),
  // and the KeInsertQueueDpc that uses it is 0xC7 / 3 (QueuedOnMissingProcessor). Verifier's
  // report at the set, where the mistake is, is kemu's.
  if (mode_ != CheckMode::kVerifier) return;
  host_.Crash({.code = bugcheck::kDriverVerifierDetectedViolation,
               .parameters = {verifier_code::kDpcTargetOutOfRange, Address(dpc), processor, count},
               .parameter_names = {"kemu: DPC target processor does not exist", "KDPC address",
                                   "requested processor", "processor count"},
               .summary = fmt::format("KeSetTargetProcessorDpc asked for processor {}, but the "
                                      "machine has {}.",
                                      processor, count)});
}

void Verifier::QueuedOnMissingProcessor(PKDPC dpc, unsigned processor, unsigned count) {
  // 0xC7 / 3: "the processor number for the DPC object is not correct" (DPC, processor number,
  // number of processors), the documented check of the KDPC being queued.
  host_.Crash(
      {.code = bugcheck::kTimerOrDpcInvalid,
       .parameters = {3, Address(dpc), processor, count},
       .parameter_names = {"3: the DPC's processor number is not correct", "KDPC",
                           "processor number", "number of processors"},
       .summary = fmt::format(
           "KeInsertQueueDpc queued the KDPC at {} on processor {}, which KeSetTargetProcessorDpc "
           "set but the machine does not have ({} processor{}). Target only processors "
           "KeQueryActiveProcessors reports.",
           static_cast<const void*>(dpc), processor, count, count == 1 ? "" : "s")});
}

void Verifier::LeaksAtShutdown(const std::vector<std::string>& leaks, std::uint64_t first_object) {
  std::string summary = "The driver left the machine in a state Windows would not survive:";
  for (const std::string& leak : leaks) summary += "\n    - " + leak;
  host_.Crash({.code = bugcheck::kDriverVerifierDetectedViolation,
               .parameters = {verifier_code::kLeakAtShutdown, leaks.size(), first_object, 0},
               .parameter_names = {"kemu: resources left behind at shutdown", "number of leaks",
                                   "first leaked object", nullptr},
               .summary = summary});
}

void Verifier::TimerSetAtUnload(PKTIMER timer, PKDPC dpc, PKDEFERRED_ROUTINE routine,
                                const std::vector<std::string>& leaks) {
  // Driver Verifier checks an unloading driver for timers still set and DPCs still pending, and
  // reports them at once as 0xC7 rather than let them fire into unloaded code later (Microsoft's
  // Driver Verifier "Automatic Checks" page, "Checking on Driver Unload"). The 0xC7 page's rows
  // 0, 1 and 2 name what lay in the memory range checked (the driver's image): the timer object,
  // its DPC object, or the DPC routine. kemu has no driver image, so it cannot tell a KTIMER or
  // KDPC in the driver's globals from one in pool or on a stack; the DPC routine is always the
  // driver's code, so kemu reports row 2, with 0 for the range it has not got.
  std::string summary = fmt::format(
      "The driver is being unloaded with the KTIMER at {} still set: when it expires it queues "
      "the KDPC at {}, whose routine {} is the driver's code. Cancel the timer (KeCancelTimer), "
      "and for a periodic timer also wait for a DPC already queued or running "
      "(KeFlushQueuedDpcs), before unload. Everything left behind:",
      static_cast<const void*>(timer), static_cast<const void*>(dpc),
      reinterpret_cast<const void*>(routine));
  for (const std::string& leak : leaks) summary += "\n    - " + leak;
  host_.Crash({.code = bugcheck::kTimerOrDpcInvalid,
               .parameters = {2, reinterpret_cast<std::uint64_t>(routine), 0, 0},
               .parameter_names = {"2: DPC routine in memory being unloaded", "DPC routine",
                                   "start of the memory range checked (kemu: 0, a test has no "
                                   "driver image)",
                                   "end of the memory range checked (kemu: 0)"},
               .summary = summary});
}

}  // namespace kemu::verifier
