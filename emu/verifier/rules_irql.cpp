// IRQL rules: docs/windows-facts.md §5.2, conformance IRQL-8.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>

#include "kemu/bugcheck.hpp"
#include "verifier/access_fault.hpp"
#include "verifier/verifier.hpp"

namespace kemu::verifier {
void Verifier::RaiseBelowCurrent(const char* routine, KIRQL current, KIRQL requested) {
  const std::string summary = fmt::format(
      "{} was asked to raise the IRQL from {} to {}, which is lower. Raising never lowers: call "
      "KeLowerIrql with the value the matching raise returned.",
      routine, current, requested);
  switch (mode_) {
    case CheckMode::kVerifier:
      host_.BugCheck({.code = bugcheck::kDriverVerifierDetectedViolation,
                      .parameters = {verifier_code::kRaiseIrqlInvalid, current, requested, 0},
                      .parameter_names = {"0x30: invalid KeRaiseIrql", "current IRQL",
                                          "requested IRQL", nullptr},
                      .summary = summary});
      return;
    case CheckMode::kChecked: {
      // docs/windows-facts.md §5.2: the debug HAL's KeRaiseIrqlToSynchLevel check raises 0x9 with
      // (current, SYNCH_LEVEL, 0, 1); the other raise routines leave Arg4 at 0.
      const bool to_synch = std::strcmp(routine, "KeRaiseIrqlToSynchLevel") == 0;
      host_.BugCheck({.code = bugcheck::kIrqlNotGreaterOrEqual,
                      .parameters = {current, requested, 0, to_synch ? 1u : 0u},
                      .parameter_names = {"current IRQL", "requested IRQL", nullptr,
                                          to_synch ? "1: KeRaiseIrqlToSynchLevel" : nullptr},
                      .summary = summary});
      return;
    }
    case CheckMode::kRetail:
      return;  // IRQL-8: a retail kernel writes the new level without looking
  }
}

void Verifier::IrqlOutOfRange(const char* routine, KIRQL current, KIRQL requested) {
  const bool lowering = std::strcmp(routine, "KeLowerIrql") == 0;
  const std::string summary = fmt::format(
      "{} was passed IRQL {}; x64 IRQLs stop at HIGH_LEVEL (15). This is often an "
      "uninitialised KIRQL variable.",
      routine, requested);
  if (mode_ == CheckMode::kVerifier) {
    host_.Crash(
        {.code = bugcheck::kDriverVerifierDetectedViolation,
         .parameters = {lowering ? verifier_code::kLowerIrqlInvalid
                                 : verifier_code::kRaiseIrqlInvalid,
                        current, requested, 0},
         .parameter_names = {lowering ? "0x31: invalid KeLowerIrql" : "0x30: invalid KeRaiseIrql",
                             "current IRQL", "requested IRQL", nullptr},
         .summary = summary});
  }
  // No kernel can load an IRQL above 15 into CR8.
  host_.Crash({.code = lowering ? bugcheck::kIrqlNotLessOrEqual : bugcheck::kIrqlNotGreaterOrEqual,
               .parameters = {current, requested, 0, 0},
               .parameter_names = {"current IRQL", "requested IRQL", nullptr, nullptr},
               .summary = summary});
}

void Verifier::LowerAboveCurrent(KIRQL current, KIRQL requested) {
  const std::string summary = fmt::format(
      "KeLowerIrql was asked to go from IRQL {} up to {}. Lower only to the value the matching "
      "KeRaiseIrql or acquire returned.",
      current, requested);
  switch (mode_) {
    case CheckMode::kVerifier:
      host_.BugCheck({.code = bugcheck::kDriverVerifierDetectedViolation,
                      .parameters = {verifier_code::kLowerIrqlInvalid, current, requested, 0},
                      .parameter_names = {"0x31: invalid KeLowerIrql", "current IRQL",
                                          "requested IRQL", "0: the new IRQL is bad"},
                      .summary = summary});
      return;
    case CheckMode::kChecked:
      host_.BugCheck({.code = bugcheck::kIrqlNotLessOrEqual,
                      .parameters = {current, requested, 0, 0},
                      .parameter_names = {"current IRQL", "requested IRQL", nullptr, nullptr},
                      .summary = summary});
      return;
    case CheckMode::kRetail:
      return;  // IRQL-8
  }
}

void Verifier::LowerInsideDpc(KIRQL current, KIRQL requested) {
  if (mode_ != CheckMode::kVerifier) return;  // the DPC's return then fails with 0xC8
  host_.BugCheck(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kLowerIrqlInvalid, current, requested, 1},
       .parameter_names = {"0x31: invalid KeLowerIrql", "current IRQL", "requested IRQL",
                           "1: invalid inside a DPC routine"},
       .summary = fmt::format("A DPC routine lowered the IRQL from {} to {}. DPC routines run at "
                              "DISPATCH_LEVEL and must return there.",
                              current, requested)});
}

namespace {

// The routines DDI compliance rule IrqlKeDispatchLte (0x00020011) lists and that have no more
// specific Verifier check of their own (KeAcquireSpinLock has 0x42): Microsoft, "IrqlKeDispatchLte
// rule (wdm)" (audit round 16, S5).
bool ListedByIrqlKeDispatchLte(std::string_view routine) {
  static constexpr std::string_view kListed[] = {"KeCancelTimer",
                                                 "KeClearEvent",
                                                 "KeInitializeDeviceQueue",
                                                 "KeInitializeSemaphore",
                                                 "KeInitializeTimer",
                                                 "KeInitializeTimerEx",
                                                 "KePulseEvent",
                                                 "KeReadStateEvent",
                                                 "KeReadStateTimer",
                                                 "KeReleaseMutex",
                                                 "KeRemoveEntryDeviceQueue",
                                                 "KeResetEvent",
                                                 "KeSaveFloatingPointState",
                                                 "KeSetTimer",
                                                 "KeSetTimerEx"};
  return std::find(std::begin(kListed), std::end(kListed), routine) != std::end(kListed);
}

// 0xC4 / 0xE5: Verifier's check (Vista+) of a kernel routine called at an IRQL it does not allow.
Violation KernelApiAtWrongIrql(KIRQL current, const std::string& summary) {
  return {
      .code = bugcheck::kDriverVerifierDetectedViolation,
      .parameters = {verifier_code::kKernelApiAtWrongIrql, current, 0, 0},
      .parameter_names = {"0xE5: kernel API at the wrong IRQL", "current IRQL", nullptr, nullptr},
      .summary = summary};
}

}  // namespace

void CrashAccessingAt(Host& host, std::uint64_t address, std::string summary) {
  const std::uint8_t irql = host.current_irql();
  if (irql >= DISPATCH_LEVEL) {
    Violation fault = IrqlFault(irql, std::move(summary));
    fault.parameters[0] = address;
    fault.parameter_names[0] = "address referenced";
    host.Crash(fault);
  }
  host.Crash(AccessViolation(std::move(summary), address));
}

void Verifier::IrqlAboveMaximum(const char* routine, KIRQL current, KIRQL maximum,
                                std::uint64_t verifier_code) {
  if (verifier_code == 0 && maximum == DISPATCH_LEVEL && ListedByIrqlKeDispatchLte(routine)) {
    verifier_code = verifier_code::kIrqlKeDispatchLte;
  }
  const Personality& personality = host_.personality();
  const std::string summary = fmt::format(
      "{} was called at IRQL {}; it may only be called at IRQL <= {}.", routine, current, maximum);
  if (mode_ == CheckMode::kVerifier) {
    if (verifier_code != 0 && personality.verifier_ddi_compliance) {
      host_.BugCheck(
          {.code = bugcheck::kDriverVerifierDetectedViolation,
           .parameters = {verifier_code, 0, 0, 0},
           .parameter_names = {"DDI compliance rule", "rule description (not available in kemu)",
                               "rule state (not available in kemu)", nullptr},
           .summary = summary});
      return;
    }
    if (personality.verifier_irql_api_checks) {
      host_.BugCheck(KernelApiAtWrongIrql(current, summary));
      return;
    }
    // Verifier before Vista had no such check; fall through to the kernel's own.
  }
  if (mode_ == CheckMode::kRetail) return;
  host_.BugCheck(IrqlFault(current, summary));
}

void Verifier::IrqlRuleWithCode(const char* routine, KIRQL current, KIRQL limit, bool above,
                                bool has_code, std::uint64_t code,
                                const std::array<std::uint64_t, 3>& arguments,
                                const std::array<const char*, 4>& names) {
  if (mode_ == CheckMode::kVerifier && has_code) {
    host_.BugCheck(
        {.code = bugcheck::kDriverVerifierDetectedViolation,
         .parameters = {code, arguments[0], arguments[1], arguments[2]},
         .parameter_names = {names[0], names[1], names[2], names[3]},
         .summary = fmt::format("{} was called at IRQL {}; it must be called at IRQL {} {}.",
                                routine, current, above ? "<=" : ">=", limit)});
    return;
  }
  if (above) {
    IrqlAboveMaximum(routine, current, limit);
  } else {
    IrqlBelowMinimum(routine, current, limit);
  }
}

void Verifier::IrqlBelowMinimum(const char* routine, KIRQL current, KIRQL minimum) {
  const std::string summary = fmt::format(
      "{} was called at IRQL {}; it must be called at IRQL >= {}.", routine, current, minimum);
  if (mode_ == CheckMode::kVerifier && host_.personality().verifier_irql_api_checks) {
    host_.BugCheck(KernelApiAtWrongIrql(current, summary));
    return;
  }
  // UNCONFIRMED: a checked kernel's IRQL assertion; kemu raises the classic "not greater or
  // equal" code. A retail kernel does not look.
  if (mode_ == CheckMode::kRetail) return;
  host_.BugCheck({.code = bugcheck::kIrqlNotGreaterOrEqual,
                  .parameters = {current, minimum, 0, 0},
                  .parameter_names = {"current IRQL", "required IRQL", nullptr, nullptr},
                  .summary = summary});
}

void Verifier::PagedCodeAtRaisedIrql(const char* file, int line, KIRQL current) {
  host_.Crash(
      {.code = bugcheck::kDriverIrqlNotLessOrEqual,
       .parameters = {0, current, 8, 0},
       .parameter_names = {"address referenced (not available in kemu)", "IRQL", "8: execute",
                           "address of the instruction (not available in kemu)"},
       .summary =
           fmt::format("PAGED_CODE() at {}:{} ran at IRQL {}. Pageable code may run only at IRQL "
                       "<= APC_LEVEL; with its pages trimmed, as Driver Verifier does, it faults.",
                       file, line, current)});
}

void Verifier::CallThroughNull(const char* routine_field, const char* object_kind,
                               const void* object, KIRQL irql) {
  std::string summary = fmt::format(
      "The kernel called the {} of the {} at {} at IRQL {}, and it is NULL: an instruction fetch "
      "at address 0. Initialise the {} with the routine it is to run.",
      routine_field, object_kind, object, irql, object_kind);
  if (irql >= DISPATCH_LEVEL) {
    host_.Crash({.code = bugcheck::kDriverIrqlNotLessOrEqual,
                 .parameters = {0, irql, 8, 0},
                 .parameter_names = {"address referenced", "IRQL", "8: execute",
                                     "address of the instruction (0)"},
                 .summary = std::move(summary)});
  }
  host_.Crash(AccessViolation(std::move(summary), 0));
}

void Verifier::AssertionFailed(const char* expression, const char* file, int line) {
  host_.Crash(
      {.code = bugcheck::kKmodeExceptionNotHandled,
       .parameters = {kStatusAssertionFailure, 0, 0, 0},
       .parameter_names = {"exception code: STATUS_ASSERTION_FAILURE",
                           "address of the exception (not available in kemu)", nullptr, nullptr},
       .summary = fmt::format("ASSERT({}) failed at {}:{}.", expression, file, line)});
}

void Verifier::BreakPoint(const char* routine) {
  host_.Crash(
      {.code = bugcheck::kKmodeExceptionNotHandled,
       .parameters = {kStatusBreakpoint, 0, 0, 0},
       .parameter_names = {"exception code: STATUS_BREAKPOINT",
                           "address of the exception (not available in kemu)", nullptr, nullptr},
       .summary = fmt::format("{} raised a breakpoint exception and no kernel debugger is "
                              "attached, so nothing handled it: a Windows machine without a "
                              "debugger bug checks the same way.",
                              routine)});
}

void Verifier::DriverBugCheck(std::uint32_t code, const std::uint64_t (&parameters)[4]) {
  host_.Crash({.code = code,
               .parameters = {parameters[0], parameters[1], parameters[2], parameters[3]},
               .parameter_names = {},
               .summary = "The driver called KeBugCheckEx."});
}

void Verifier::NullArgument(const char* routine, const char* parameter) {
  std::string summary =
      fmt::format("{} was passed NULL for {}, which it dereferences.", routine, parameter);
  // At DISPATCH_LEVEL or above the kernel cannot take the page fault an access violation needs:
  // the access is 0xA IRQL_NOT_LESS_OR_EQUAL (the kernel's own code touched address 0).
  const std::uint8_t irql = host_.current_irql();
  if (irql >= DISPATCH_LEVEL) host_.Crash(IrqlFault(irql, std::move(summary)));
  host_.Crash(AccessViolation(std::move(summary)));
}

void Verifier::NullPageArgument(const char* routine, const char* parameter,
                                std::uintptr_t address) {
  if (address == 0) NullArgument(routine, parameter);
  std::string summary = fmt::format(
      "{} was passed {:#x} for {}, which it dereferences: an address in the first 64 KiB, which "
      "Windows never maps (a member of a NULL structure pointer, such as &Extension->Event with "
      "Extension NULL).",
      routine, address, parameter);
  CrashAccessingAt(host_, address, std::move(summary));
}

void Verifier::UnreadableArgument(const char* routine, const char* parameter, std::uint64_t bytes,
                                  std::uint64_t address) {
  std::string summary = fmt::format(
      "{} was passed {} with a size of {} bytes, but nothing is mapped at {:#x} inside it: the "
      "kernel's copy of it faults there.",
      routine, parameter, bytes, address);
  CrashAccessingAt(host_, address, std::move(summary));
}

}  // namespace kemu::verifier
