// Argument rules: enum values outside their enumerators. KINTERRUPT_MODE, KDPC_IMPORTANCE and
// MEMORY_CACHING_TYPE are ints to a C driver, so any int can arrive; routines returning an
// NTSTATUS refuse such a value with a status instead.
#include <fmt/format.h>

#include "kemu/bugcheck.hpp"
#include "verifier/verifier.hpp"

namespace kemu::verifier {

void Verifier::EnumArgumentOutOfRange(const char* routine, const char* parameter, int value,
                                      std::uint64_t object) {
  // Windows documents no check (UNCONFIRMED); kemu's Verifier treats the value as the bug it is.
  if (mode_ != CheckMode::kVerifier) return;
  host_.BugCheck(
      {.code = bugcheck::kDriverVerifierDetectedViolation,
       .parameters = {verifier_code::kEnumArgumentOutOfRange, static_cast<std::uint32_t>(value),
                      object, 0},
       .parameter_names = {"kemu: enum argument out of range", "value passed",
                           "object (KDPC, physical address)", nullptr},
       .summary = fmt::format("{} was called with {} = {}, which is none of the values its "
                              "enum type defines.",
                              routine, parameter, value)});
}

}  // namespace kemu::verifier
