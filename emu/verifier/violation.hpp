// A detected misuse, before it becomes a kemu::BugCheck: Windows' code and parameters plus the
// words a report needs.
#ifndef KEMU_EMU_VERIFIER_VIOLATION_HPP_
#define KEMU_EMU_VERIFIER_VIOLATION_HPP_

#include <array>
#include <cstdint>
#include <string>
#include <utility>

#include "kemu/bugcheck.hpp"

namespace kemu::verifier {

inline constexpr std::uint64_t kStatusAccessViolation = 0xC0000005;
inline constexpr std::uint64_t kStatusAssertionFailure = 0xC0000420;
inline constexpr std::uint64_t kStatusBreakpoint = 0x80000003;

/// A pointer as a bug-check parameter.
inline std::uint64_t Address(const void* pointer) {
  return reinterpret_cast<std::uintptr_t>(pointer);
}

struct Violation {
  std::uint32_t code = 0;
  std::array<std::uint64_t, 4> parameters{};
  /// What each parameter means, as the Windows documentation describes it (nullptr: reserved).
  std::array<const char*, 4> parameter_names{};
  /// One or two sentences: what the driver did and what Windows requires instead.
  std::string summary;
};

/// 0x1E KMODE_EXCEPTION_NOT_HANDLED for a read through `address`: what a kernel without Verifier
/// ends in when it dereferences a bad pointer a driver handed it.
inline Violation AccessViolation(std::string summary, std::uint64_t address = 0) {
  return {.code = bugcheck::kKmodeExceptionNotHandled,
          .parameters = {kStatusAccessViolation, 0, 0, address},
          .parameter_names = {"exception code: STATUS_ACCESS_VIOLATION",
                              "address of the exception (not available in kemu)", "0: read",
                              "address accessed"},
          .summary = std::move(summary)};
}

/// 0x1E KMODE_EXCEPTION_NOT_HANDLED for an exception a routine raised with `status`
/// (`status_name` names it for Arg1). A driver's __except handler could catch it on Windows; kemu
/// cannot run one, so the exception is unhandled, as it is in a driver without a handler.
inline Violation Raised(std::uint64_t status, const char* status_name, std::string summary) {
  return {.code = bugcheck::kKmodeExceptionNotHandled,
          .parameters = {status, 0, 0, 0},
          .parameter_names = {status_name, "address of the exception (not available in kemu)", "0",
                              "0"},
          .summary = std::move(summary)};
}

/// 0xA IRQL_NOT_LESS_OR_EQUAL as a kernel fault at `irql` leaves it: a read of memory the kernel
/// could not touch at that level (kemu has no faulting address or instruction to show).
inline Violation IrqlFault(std::uint64_t irql, std::string summary) {
  return {.code = bugcheck::kIrqlNotLessOrEqual,
          .parameters = {0, irql, 0, 0},
          .parameter_names = {"address referenced (not available in kemu)", "IRQL", "0: read",
                              "address of the instruction (not available in kemu)"},
          .summary = std::move(summary)};
}

/// 0xC7 TIMER_OR_DPC_INVALID / 0 (a KTIMER, `timer`) or 1 (a KDPC) at `object`, found in the
/// memory range [begin, end) checked; `begin_name` names Arg3, saying what that range is.
inline Violation TimerOrDpcInRange(bool timer, const void* object, const void* begin,
                                   const void* end, const char* begin_name, std::string summary) {
  return {.code = bugcheck::kTimerOrDpcInvalid,
          .parameters = {timer ? 0u : 1u, Address(object), Address(begin), Address(end)},
          .parameter_names = {timer ? "0: timer object" : "1: DPC object", "address of the object",
                              begin_name, "end of the memory range checked"},
          .summary = std::move(summary)};
}

/// kemu's 0xC4 / 0x4B450011: `object` is not an initialized kernel object of the kind a routine
/// needs.
inline Violation NotAKernelObject(const void* object, std::string summary) {
  return {.code = bugcheck::kDriverVerifierDetectedViolation,
          .parameters = {verifier_code::kInvalidKernelObject, Address(object), 0, 0},
          .parameter_names = {"kemu: not an initialized kernel object", "object address", nullptr,
                              nullptr},
          .summary = std::move(summary)};
}

}  // namespace kemu::verifier

#endif  // KEMU_EMU_VERIFIER_VIOLATION_HPP_
