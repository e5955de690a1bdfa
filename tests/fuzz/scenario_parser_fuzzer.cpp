// Fuzz target: kemu's scenario parser takes any bytes without crashing, leaking or touching memory
// it does not own. Every input either parses or yields diagnostics (ScenarioError); anything else
// escaping is a bug.
//
// Built as a libFuzzer target with clang (-DKEMU_BUILD_FUZZERS=ON, preset `fuzz`), and always as
// a replay program (replay_main.cpp) that ctest runs over the checked-in corpus.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kemu/scenario/parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  try {
    kemu::scenario::Scenario scenario = kemu::scenario::ParseScenario(yaml, "fuzz.yaml");
    // A scenario that parsed must be usable: every selector resolved to at least one personality.
    if (scenario.os.empty()) __builtin_trap();
  } catch (const kemu::scenario::ScenarioError& error) {
    // Every diagnostic names a place in the input.
    for (const kemu::scenario::Diagnostic& d : error.diagnostics()) {
      if (d.where.file != "fuzz.yaml" || d.message.empty()) __builtin_trap();
    }
  }
  return 0;
}
