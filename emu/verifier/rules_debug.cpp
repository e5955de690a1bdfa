// Debug output rules.
#include <fmt/format.h>

#include "kemu/bugcheck.hpp"
#include "verifier/verifier.hpp"

namespace kemu::verifier {

void Verifier::DbgPrintUnicodeAboveIrql(const char* routine, KIRQL current) {
  // The Unicode conversions DbgPrint calls for %wZ, %ws, %S, %C ... are pageable. Driver
  // Verifier's forced IRQL checking pages pageable code out, so the first such call above
  // PASSIVE_LEVEL faults at once; without it the page is usually resident and the call works.
  if (mode_ != CheckMode::kVerifier) return;
  host_.BugCheck(IrqlFault(
      current,
      fmt::format(
          "{} was given a Unicode format code (%wZ, %ws, %S, %ls, %C, %wc or %lc) at IRQL {}; "
          "Windows allows them only at PASSIVE_LEVEL, because the conversion is pageable. Print "
          "counted or wide strings from PASSIVE_LEVEL code, or copy them to ANSI first.",
          routine, current)));
}

}  // namespace kemu::verifier
