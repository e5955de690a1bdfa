// Rules for the system-allocated timers (ExAllocateTimer, ExSetTimer, ExCancelTimer,
// ExDeleteTimer; docs/kernel.md, "EX_TIMER"). Microsoft documents that these arguments make the
// routine bug-check without naming the code (UNCONFIRMED), so they are kemu's sub-codes, in every
// mode.
#include <fmt/format.h>

#include "kemu/bugcheck.hpp"
#include "verifier/verifier.hpp"

namespace kemu::verifier {
namespace {

const char* Explain(std::uint64_t rule) {
  switch (rule) {
    case ex_timer_rule::kAttributes:
      return "Attributes must be a combination of EX_TIMER_HIGH_RESOLUTION, EX_TIMER_NO_WAKE and "
             "EX_TIMER_NOTIFICATION, with HIGH_RESOLUTION and NO_WAKE never together";
    case ex_timer_rule::kHighResolutionAbsoluteDueTime:
      return "a high-resolution timer takes a relative (negative) DueTime only";
    case ex_timer_rule::kPeriodOutOfRange:
      return "Period must lie in 0..MAXLONG (100 ns units; 0 for a one-shot timer)";
    case ex_timer_rule::kNegativeNoWakeTolerance:
      return "NoWakeTolerance must not be negative unless it is EX_TIMER_UNLIMITED_TOLERANCE";
    case ex_timer_rule::kParametersVersion:
      return "the parameters' Version is not one ExInitialize...TimerParameters writes (0)";
    case ex_timer_rule::kCancelParameters:
      return "drivers pass NULL as ExCancelTimer's Parameters";
    case ex_timer_rule::kWaitWithoutCancel:
      return "Wait TRUE needs Cancel TRUE";
    default:
      return "an invalid argument";
  }
}

}  // namespace

void Verifier::ExTimerArgument(const char* routine, const void* timer, std::uint64_t value,
                               std::uint64_t rule) {
  host_.BugCheck(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kExTimerArgument, Address(timer), value, rule},
       .parameter_names = {"kemu: invalid EX_TIMER argument", "EX_TIMER (0: none yet)",
                           "the value given", "rule (kemu::ex_timer_rule)"},
       .summary = fmt::format("{} was given {:#x}: {}.", routine, value, Explain(rule))});
}

void Verifier::ExTimerDeleted(const char* routine, const void* timer) {
  host_.BugCheck(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kExTimerDeleted, Address(timer), 0, 0},
       .parameter_names = {"kemu: EX_TIMER used after its deletion", "EX_TIMER", nullptr, nullptr},
       .summary = fmt::format("{} was given the EX_TIMER at {}, which ExDeleteTimer had already "
                              "deleted (Windows has freed it). Stop using the pointer once "
                              "ExDeleteTimer is called.",
                              routine, timer)});
}

}  // namespace kemu::verifier
