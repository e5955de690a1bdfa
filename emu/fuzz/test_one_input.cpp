// TestOneInput(): what LLVMFuzzerTestOneInput does with one input. No state of its own: the
// program (fuzz_main.cpp) holds the target and the emit path. A finding aborts the process
// (libFuzzer's crash), after the reason, the bug check report and the input's scenario.
#include "fuzz/test_one_input.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "kemu/fuzz.hpp"

namespace kemu::fuzz {
namespace {

void Emit(const std::string& path, const std::string& yaml) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << yaml;
  if (!out.flush()) {
    std::fprintf(stderr, "kemu fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
  std::fprintf(stderr, "kemu fuzz: wrote the input's scenario to %s\n", path.c_str());
}

}  // namespace

namespace internal {

int TestOneInput(const FuzzTarget& target, const std::vector<scenario::ActionInfo>& actions,
                 std::span<const std::uint8_t> data, const std::string& emit_path) {
  const scenario::Scenario scenario = Decode(target, actions, data);
  const Verdict verdict = Run(target, scenario, Detail::kVerdict);
  if (!emit_path.empty()) Emit(emit_path, EmitScenario(scenario, &verdict));
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

}  // namespace internal

int TestOneInput(const FuzzTarget& target, const std::uint8_t* data, std::size_t size,
                 const std::string& emit_path) {
  return internal::TestOneInput(target, TargetActions(target),
                                std::span<const std::uint8_t>(data, size), emit_path);
}

}  // namespace kemu::fuzz
