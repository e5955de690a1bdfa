// The example NIC driver through kemu::fuzz (docs/fuzzing.md "Fuzzing your driver"): the checked-in
// corpus runs clean on the correct driver; the buggy builds are found, each with its own bug check;
// and every input, written out as a scenario and played by the scenario runner, ends the same way
// (the crash -> scenario promise of include/kemu/fuzz.hpp).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "kemu/bugcheck.hpp"
#include "kemu/fuzz.hpp"
#include "kemu/scenario/parser.hpp"
#include "nic_fuzz_target.hpp"

namespace kemu_example {
namespace {

using Bytes = std::vector<std::uint8_t>;

std::vector<Bytes> Corpus() { return kemu::fuzz::ReadCorpus(KEMU_NIC_FUZZ_CORPUS); }

// Seeded, so the same inputs every run: a stand-in for a fuzzer's mutations.
std::vector<Bytes> RandomInputs(std::size_t count, std::uint32_t seed) {
  std::mt19937 random(seed);
  std::vector<Bytes> inputs;
  for (std::size_t i = 0; i < count; ++i) {
    Bytes bytes(random() % 160);
    for (std::uint8_t& byte : bytes) byte = static_cast<std::uint8_t>(random());
    inputs.push_back(std::move(bytes));
  }
  return inputs;
}

// How many inputs, in order, until the first on which `buggy` has a finding with `reason` and the
// correct driver none (the bug is the build's, not the input's); 0 if none.
std::size_t InputsUntilFinding(const std::string& buggy, const std::string& reason,
                               const std::vector<Bytes>& inputs) {
  const kemu::fuzz::FuzzTarget target = NicFuzzTarget(buggy);
  const kemu::fuzz::FuzzTarget correct = NicFuzzTarget("nic");
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const kemu::fuzz::Verdict verdict =
        kemu::fuzz::Run(target, kemu::fuzz::Decode(target, inputs[i]));
    if (!verdict.finding || verdict.reason != reason) continue;
    if (!kemu::fuzz::Run(correct, kemu::fuzz::Decode(correct, inputs[i])).finding) return i + 1;
  }
  return 0;
}

TEST(NicFuzzTest, TheCorpusHoldsEnoughInputs) { EXPECT_GE(Corpus().size(), 8u); }

TEST(NicFuzzTest, TheCorrectDriverRunsTheCorpusClean) {
  const kemu::fuzz::FuzzTarget target = NicFuzzTarget("nic");
  std::size_t started = 0;
  for (const Bytes& input : Corpus()) {
    const kemu::scenario::Scenario s = kemu::fuzz::Decode(target, input);
    const kemu::fuzz::Verdict verdict = kemu::fuzz::Run(target, s);
    EXPECT_FALSE(verdict.finding) << verdict.reason << "\n" << kemu::fuzz::EmitScenario(s);
    if (!verdict.start_statuses.empty()) ++started;
  }
  EXPECT_EQ(started, Corpus().size()) << "every seed starts the driver";
}

// Random programs on every personality, kernel mode and vCPU count (1-4, with exploring
// schedules). Each finding this once had was triaged and fixed where it lay (README "Fuzzing your
// driver"): the driver's stop path disconnected while its DPC could still run (0x1E, 0x50); a
// vCPU finishing its DPC reported a deadlock instead of letting the waiter's worker thread run
// the link report (0xC4/0x4B45000F); the disconnect returned with the ISR still running on
// another vCPU (0x50); an ISR taken inside a wait counted as waiting (0xC4/0x1001); a statistics
// request reached a device whose start had failed (0xC4/0x1002); the adapter's scheduled
// interrupt and kemu's foreign driver raised lines that nothing could acknowledge (0xF2).
TEST(NicFuzzTest, TheCorrectDriverRunsRandomProgramsClean) {
  const kemu::fuzz::FuzzTarget target = NicFuzzTarget("nic");
  std::size_t multiprocessor = 0;
  for (const Bytes& input : RandomInputs(3000, 99)) {
    const kemu::scenario::Scenario s = kemu::fuzz::Decode(target, input);
    if (s.machine.processors > 1) ++multiprocessor;
    const kemu::fuzz::Verdict verdict = kemu::fuzz::Run(target, s);
    EXPECT_FALSE(verdict.finding) << verdict.reason << "\n"
                                  << kemu::fuzz::EmitScenario(s, &verdict);
  }
  EXPECT_GE(multiprocessor, 1500u);
}

TEST(NicFuzzTest, FindsTheMissingAcknowledgeAsAnInterruptStorm) {
  const std::size_t inputs = InputsUntilFinding(
      "nic_bug_no_ack", "bug check 0xF2 HARDWARE_INTERRUPT_STORM", RandomInputs(2000, 12));
  ASSERT_GT(inputs, 0u);
  std::printf("nic_bug_no_ack: found after %zu random inputs\n", inputs);
}

TEST(NicFuzzTest, FindsTheSpinLockAtDirql) {
  const std::size_t inputs = InputsUntilFinding(
      "nic_bug_spinlock_at_dirql", "bug check 0xC4/0x42 DRIVER_VERIFIER_DETECTED_VIOLATION",
      RandomInputs(2000, 13));
  ASSERT_GT(inputs, 0u);
  std::printf("nic_bug_spinlock_at_dirql: found after %zu random inputs\n", inputs);
}

// Every corpus input and a few hundred more, on every build: the emitted scenario, parsed and
// played by kemu::scenario::Run with the same adapter, does what the fuzz run did, step for step.
TEST(NicFuzzTest, EmittedScenariosReproduceEveryOutcomeUnderTheRunner) {
  std::vector<Bytes> inputs = Corpus();
  const std::vector<Bytes> more = RandomInputs(300, 14);
  inputs.insert(inputs.end(), more.begin(), more.end());
  std::size_t crashes = 0;
  for (const char* build : {"nic", "nic_bug_no_ack", "nic_bug_spinlock_at_dirql"}) {
    const kemu::fuzz::FuzzTarget target = NicFuzzTarget(build);
    for (const Bytes& input : inputs) {
      const kemu::scenario::Scenario decoded = kemu::fuzz::Decode(target, input);
      const kemu::fuzz::Verdict fuzzed = kemu::fuzz::Run(target, decoded);
      const std::string yaml = kemu::fuzz::EmitScenario(decoded, &fuzzed);
      const kemu::scenario::Scenario parsed = kemu::scenario::ParseScenario(yaml, "emitted.yaml");
      EXPECT_EQ(parsed.driver, build);
      const kemu::scenario::Outcome replayed =
          kemu::scenario::Run(parsed, parsed.os.front(), target.factory, {.keep_trace = false});
      ASSERT_EQ(replayed.crash.has_value(), fuzzed.outcome.crash.has_value()) << yaml;
      if (replayed.crash) {
        ++crashes;
        EXPECT_EQ(replayed.crash->code, fuzzed.outcome.crash->code) << yaml;
        if (replayed.crash->code == kemu::bugcheck::kDriverVerifierDetectedViolation) {
          EXPECT_EQ(replayed.crash->parameters[0], fuzzed.outcome.crash->parameters[0]) << yaml;
        }
      }
      EXPECT_TRUE(replayed.passed()) << yaml << replayed.failures.front().message;
      EXPECT_EQ(replayed.observations, fuzzed.outcome.observations) << yaml;
    }
  }
  EXPECT_GE(crashes, 10u);
}

}  // namespace
}  // namespace kemu_example
