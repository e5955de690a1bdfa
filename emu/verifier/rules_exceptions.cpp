// Exceptions a driver raises on purpose (ExRaiseStatus), for a structured exception handler kemu
// cannot run (docs/differences.md).
#include <fmt/format.h>

#include "kemu/bugcheck.hpp"
#include "verifier/verifier.hpp"

namespace kemu::verifier {

void Verifier::StatusRaised(const char* routine, NTSTATUS status) {
  const auto code = static_cast<std::uint32_t>(status);
  host_.Crash(Raised(
      code, "exception code: the status the driver raised",
      fmt::format("{}({:#010x}) raised an exception for the driver's __try/__except handler. "
                  "kemu compiles drivers with a host compiler, which has no structured exception "
                  "handling, so no handler can catch it: on Windows too it stops the system "
                  "unless a handler around the call catches it. Return the status instead where "
                  "the caller can handle it.",
                  routine, code)));
}

}  // namespace kemu::verifier
