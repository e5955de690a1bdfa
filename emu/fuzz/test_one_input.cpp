// TestOneInput(): what LLVMFuzzerTestOneInput does with one input. A finding aborts the process
// (libFuzzer's crash), after the reason, the bug check report and the input's scenario.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>

#include "fuzz/decode_internal.hpp"
#include "kemu/fuzz.hpp"

namespace kemu::fuzz {
namespace {

std::string& EmitPath() {
  static std::string path;
  return path;
}

// The adapter's actions, looked up once per target rather than once per input.
const std::vector<scenario::ActionInfo>& Actions(const FuzzTarget& target) {
  static const FuzzTarget* cached_for = nullptr;
  static std::vector<scenario::ActionInfo> actions;
  if (cached_for != &target) {
    actions = internal::TargetActions(target);
    cached_for = &target;
  }
  return actions;
}

void Emit(const std::string& yaml) {
  std::ofstream out(EmitPath(), std::ios::binary | std::ios::trunc);
  out << yaml;
  if (!out.flush()) {
    std::fprintf(stderr, "kemu fuzz: cannot write %s\n", EmitPath().c_str());
    std::abort();
  }
}

}  // namespace

void SetEmitPath(std::string path) { EmitPath() = std::move(path); }

int TestOneInput(const FuzzTarget& target, const std::uint8_t* data, std::size_t size) {
  const scenario::Scenario scenario =
      internal::Decode(target, Actions(target), std::span<const std::uint8_t>(data, size));
  const Verdict verdict = Run(target, scenario);
  if (!EmitPath().empty()) {
    Emit(EmitScenario(scenario, &verdict));
    std::fprintf(stderr, "kemu fuzz: wrote the input's scenario to %s\n", EmitPath().c_str());
  }
  if (!verdict.finding) return 0;
  std::fprintf(stderr, "kemu fuzz: FINDING in %s: %s\n", target.name.c_str(),
               verdict.reason.c_str());
  if (verdict.outcome.crash) std::fprintf(stderr, "%s\n", verdict.outcome.crash->report.c_str());
  std::fprintf(
      stderr,
      "kemu fuzz: the input as a scenario (--emit-scenario=<file> or KEMU_FUZZ_EMIT=<file> "
      "writes it):\n%s",
      EmitScenario(scenario, &verdict).c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace kemu::fuzz
