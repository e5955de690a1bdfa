// runner_flags.hpp — the command line of the example runners: they take no options but --version
// and --help, and refuse anything else (exit 2, as the scenario runner does for a bad argument).
#ifndef KEMU_EXAMPLES_COMMON_RUNNER_FLAGS_HPP_
#define KEMU_EXAMPLES_COMMON_RUNNER_FLAGS_HPP_

#include <fmt/format.h>

#include <optional>
#include <string_view>

#include "kemu/version.hpp"

namespace kemu_example {

// Handles argv: returns the exit status when the runner must stop here (0 after --version or
// --help, 2 after an unknown argument), nullopt when it should run.
inline std::optional<int> HandleRunnerFlags(int argc, char** argv, std::string_view program,
                                            std::string_view what) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--version") {
      fmt::print("{} (kemu {})\n", program, KEMU_VERSION_STRING);
      return 0;
    }
    if (arg == "--help" || arg == "-h") {
      fmt::print("Usage: {} [--version] [--help]\n{}\n", program, what);
      return 0;
    }
    fmt::print(stderr, "{}: unknown argument '{}' (try --help)\n", program, arg);
    return 2;
  }
  return std::nullopt;
}

}  // namespace kemu_example

#endif  // KEMU_EXAMPLES_COMMON_RUNNER_FLAGS_HPP_
