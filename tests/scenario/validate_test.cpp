// Validate: a parsed scenario against the names its driver adapter offers.
#include <gtest/gtest.h>

#include "kemu/scenario/parser.hpp"
#include "test_adapter.hpp"

namespace {

using ::kemu::scenario::Diagnostic;
using ::kemu::scenario::FormatDiagnostic;

std::vector<std::string> Problems(const std::string& steps_and_expect) {
  const kemu::scenario::Scenario scenario =
      kemu::scenario::ParseScenario("devices: [{name: nic0}]\n" + steps_and_expect, "v.yaml");
  const kemu::scenario::testing::NamesOnlyAdapter adapter;
  std::vector<std::string> text;
  for (const Diagnostic& d : kemu::scenario::Validate(scenario, adapter)) {
    text.push_back(FormatDiagnostic(d));
  }
  return text;
}

using Lines = std::vector<std::string>;

TEST(ValidateTest, KnownActionsArgumentsAndProbesPass) {
  EXPECT_EQ(Problems("steps:\n"
                     "  - receive_frames: 3\n"
                     "  - receive_frames: {count: 3, size: 64, device: nic0}\n"
                     "  - reset_chip\n"
                     "  - expect: {probes: {frames_received: 3}}\n"
                     "expect: {probes: {resets: 0}, os: {xp: {probes: {resets: 1}}}}\n"),
            Lines{});
}

TEST(ValidateTest, UnknownActionSuggestsTheNearestActionOrKeyword) {
  EXPECT_EQ(Problems("steps:\n  - recieve_frames: 3\n  - run_dpc\n"),
            (Lines{"v.yaml:3:5: error: unknown step or action 'recieve_frames' (did you mean "
                   "'receive_frames'?)",
                   "v.yaml:4:5: error: unknown step or action 'run_dpc' (did you mean "
                   "'run_dpcs'?)"}));
}

TEST(ValidateTest, AMisspeltSettleSuggestsTheBuiltInStep) {
  EXPECT_EQ(Problems("steps:\n  - setle\n"),
            Lines{"v.yaml:3:5: error: unknown step or action 'setle' (did you mean 'settle'?)"});
}

TEST(ValidateTest, UnknownActionWithoutSuggestionListsTheAdaptersActions) {
  EXPECT_EQ(Problems("steps:\n  - frobnicate\n"),
            Lines{"v.yaml:3:5: error: unknown step or action 'frobnicate' (the driver adapter's "
                  "actions: receive_frames, reset_chip)"});
}

TEST(ValidateTest, UnknownArgumentIsReported) {
  EXPECT_EQ(Problems("steps:\n  - receive_frames: {cuont: 1, mode: x}\n"),
            (Lines{"v.yaml:3:5: error: action 'receive_frames' has no argument 'cuont' (did you "
                   "mean 'count'?)",
                   "v.yaml:3:5: error: action 'receive_frames' has no argument 'mode' (its "
                   "arguments: count, size)"}));
}

TEST(ValidateTest, ANegativeCountIsRejectedWhenTheFileLoadsAtItsStep) {
  EXPECT_EQ(Problems("steps:\n  - receive_frames: -3\n"),
            Lines{"v.yaml:3:5: error: argument 'count' of action 'receive_frames' must be an "
                  "unsigned number, got '-3'"});
}

TEST(ValidateTest, NumbersOutsideTheAdaptersRangesAreRejectedWhenTheFileLoads) {
  EXPECT_EQ(Problems("steps:\n"
                     "  - receive_frames: {count: 1001, size: 0}\n"
                     "  - receive_frames: {count: lots}\n"),
            (Lines{"v.yaml:3:5: error: argument 'count' of action 'receive_frames' must be "
                   "0..1000, got 1001",
                   "v.yaml:3:5: error: argument 'size' of action 'receive_frames' must be "
                   "1..1514, got 0",
                   "v.yaml:4:5: error: argument 'count' of action 'receive_frames' must be an "
                   "unsigned number, got 'lots'"}));
}

TEST(ValidateTest, NumbersAtTheEdgesOfTheirRangesPass) {
  EXPECT_EQ(Problems("steps:\n"
                     "  - receive_frames: 0\n"
                     "  - receive_frames: {count: 0x3E8, size: 1514}\n"
                     "  - receive_frames: {size: 1}\n"),
            Lines{});
}

TEST(ValidateTest, ScalarArgumentToAnActionWithoutParametersIsReported) {
  EXPECT_EQ(Problems("steps:\n  - reset_chip: 2\n"),
            Lines{"v.yaml:3:5: error: action 'reset_chip' takes no arguments, got '2'"});
}

TEST(ValidateTest, UnknownProbesAreReportedInEveryBlockAndOverride) {
  EXPECT_EQ(Problems("steps:\n"
                     "  - expect: {probes: {frames_recieved: 1}}\n"
                     "expect:\n"
                     "  probes: {colour: 1}\n"
                     "  os:\n"
                     "    win7: {probes: {reset: 2}}\n"),
            (Lines{"v.yaml:3:23: error: unknown probe 'frames_recieved' (did you mean "
                   "'frames_received'?)",
                   "v.yaml:5:12: error: unknown probe 'colour' (the driver adapter's probes: "
                   "frames_received, resets)",
                   "v.yaml:7:21: error: unknown probe 'reset' (did you mean 'resets'?)"}));
}

}  // namespace
