// A detected misuse, before it becomes a kemu::BugCheck: Windows' code and parameters plus the
// words a report needs.
#ifndef KEMU_EMU_VERIFIER_VIOLATION_HPP_
#define KEMU_EMU_VERIFIER_VIOLATION_HPP_

#include <array>
#include <cstdint>
#include <string>

namespace kemu::verifier {

struct Violation {
  std::uint32_t code = 0;
  std::array<std::uint64_t, 4> parameters{};
  /// What each parameter means, as the Windows documentation describes it (nullptr: reserved).
  std::array<const char*, 4> parameter_names{};
  /// One or two sentences: what the driver did and what Windows requires instead.
  std::string summary;
};

}  // namespace kemu::verifier

#endif  // KEMU_EMU_VERIFIER_VIOLATION_HPP_
