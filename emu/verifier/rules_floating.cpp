// Rules for KeSaveFloatingPointState / KeRestoreFloatingPointState and the extended state
// routines (docs/kernel.md, "Floating-point state"). Microsoft documents that a restore must pair
// with the last save, at the IRQL of that save, and that a nested save may not run at a lower IRQL
// than the one around it, failing which the system bug-checks; it names no code (UNCONFIRMED), so
// these are kemu's sub-codes, in every mode.
#include <fmt/format.h>

#include "kemu/bugcheck.hpp"
#include "verifier/verifier.hpp"

namespace kemu::verifier {

void Verifier::FloatingRestoreMismatch(const char* routine, const void* buffer, const void* last,
                                       std::uint64_t saved_at) {
  host_.Crash(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kFloatingRestoreMismatch, Address(buffer), Address(last), 0},
       .parameter_names = {"kemu: floating-point restore without its save", "save buffer given",
                           "last unrestored save buffer on the processor (0: none)", nullptr},
       .summary =
           last == nullptr
               ? fmt::format("{} restored the floating-point state from {}, but no "
                             "KeSaveFloatingPointState on this processor waits for its restore: "
                             "restore once per successful save.",
                             routine, buffer)
               : fmt::format("{} restored the floating-point state from {}, but the last save on "
                             "this processor not yet restored used {} (trace event {}): restore "
                             "saves innermost first, each with the buffer its save was given.",
                             routine, buffer, last, saved_at)});
}

void Verifier::FloatingIrqlMismatch(const char* routine, const void* buffer, KIRQL current,
                                    KIRQL saved, bool nested) {
  host_.Crash(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kFloatingSaveIrqlMismatch, Address(buffer), current, saved},
       .parameter_names = {"kemu: floating-point save or restore at the wrong IRQL",
                           "save buffer given", "current IRQL",
                           nested ? "IRQL of the enclosing save" : "IRQL of its save"},
       .summary = nested ? fmt::format("{} saved the floating-point state into {} at IRQL {}, "
                                       "inside a save made at IRQL {}: a nested save may not run "
                                       "at a lower IRQL than the one around it.",
                                       routine, buffer, current, saved)
                         : fmt::format("{} restored the floating-point state from {} at IRQL {}, "
                                       "but it was saved at IRQL {}: restore at the IRQL of the "
                                       "save.",
                                       routine, buffer, current, saved)});
}

void Verifier::XStateFeatureNotEnabled(const void* buffer, std::uint64_t mask,
                                       std::uint64_t enabled) {
  host_.Crash(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kXStateFeatureNotEnabled, Address(buffer), mask, enabled},
       .parameter_names = {"kemu: extended state save of features not enabled", "XSTATE_SAVE",
                           "Mask", "features the system enabled"},
       .summary = fmt::format("KeSaveExtendedProcessorState was asked to save features {:#x}, "
                              "but the system enabled only {:#x}: mask the request with "
                              "RtlGetEnabledExtendedFeatures first.",
                              mask, enabled)});
}

void Verifier::FloatingSaveOpenAtReturn(const char* kind, std::uintptr_t routine,
                                        const void* buffer, KIRQL irql, std::uint64_t saved_at) {
  host_.BugCheck(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kFloatingSaveOpenAtReturn, Address(buffer), routine, irql},
       .parameter_names = {"kemu: floating-point or extended state save not restored",
                           "save buffer", "routine", "IRQL of the save"},
       .summary = fmt::format("The {} at {:#x} returned without restoring the state it saved "
                              "into {} (trace event {}): a routine restores every save it "
                              "makes before it returns.",
                              kind, routine, buffer, saved_at)});
}

}  // namespace kemu::verifier
