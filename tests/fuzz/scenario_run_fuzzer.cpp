// Fuzz target: any scenario file that parses can be run without kemu crashing, hanging, leaking or
// letting an exception escape Run(). The driver is the runner tests' small adapter
// (tests/scenario/test_driver.hpp), so every built-in step, device event, fault and expectation
// reaches the emulator with arbitrary arguments, in arbitrary order.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "kemu/scenario/parser.hpp"
#include "kemu/scenario/runner.hpp"
#include "test_driver.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  kemu::scenario::Scenario scenario;
  try {
    scenario = kemu::scenario::ParseScenario(yaml, "fuzz.yaml");
  } catch (const kemu::scenario::ScenarioError& error) {
    // The parser fuzzer covers invalid files. KEMU_FUZZ_VERBOSE shows why a seed did not run.
    if (std::getenv("KEMU_FUZZ_VERBOSE") != nullptr) std::fputs(error.what(), stderr);
    return 0;
  }
  // Small machines keep each input fast; the limits change how soon things end, not what runs.
  scenario.machine.storm_threshold = std::min(scenario.machine.storm_threshold, 50u);
  scenario.machine.processors = std::min(scenario.machine.processors, 4u);
  const kemu::Os os = scenario.os[size % scenario.os.size()];
  const kemu::scenario::Outcome outcome = kemu::scenario::Run(
      scenario, os, [] { return std::make_unique<kemu::scenario::test::TestAdapter>(); },
      {.seed = std::nullopt, .keep_trace = false});
  if (std::getenv("KEMU_FUZZ_VERBOSE") != nullptr) {
    std::fprintf(stderr, "%s @ %s: %zu steps, %zu failures%s\n", outcome.scenario.c_str(),
                 std::string(kemu::OsName(os)).c_str(), outcome.steps_run, outcome.failures.size(),
                 outcome.crash ? ", crashed" : "");
    for (const auto& failure : outcome.failures) {
      std::fprintf(stderr, "  %s\n", failure.message.c_str());
    }
  }
  // A crash is always explained; a passing run has none unless the scenario expected it.
  if (outcome.crash && outcome.crash->report.empty()) __builtin_trap();
  return 0;
}
