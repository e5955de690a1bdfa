// ParseScenario: every step keyword, in each of its forms (bare, shorthand scalar, map).
#include <gtest/gtest.h>
#include <wdm.h>

#include "kemu/scenario/parser.hpp"

namespace {

using ::kemu::DeviceAction;
using ::kemu::scenario::ActionStep;
using ::kemu::scenario::DeviceEventStep;
using ::kemu::scenario::ParseScenario;
using ::kemu::scenario::RegisterStep;
using ::kemu::scenario::Step;

// The steps of a scenario with devices nic0 and nic1 (a line and 4 messages each) whose `steps:`
// is `steps`.
std::vector<Step> Steps(const std::string& steps) {
  // One line for the devices: the tests count the steps' lines from 3.
  return ParseScenario(
             "devices: [{name: nic0, line: {vector: 0x51, irql: 5}, messages: 4}, "
             "{name: nic1, line: {vector: 0x52, irql: 5}, messages: 4}]\nsteps:\n" +
                 steps,
             "s.yaml")
      .steps;
}

template <typename T>
T Only(const std::string& steps) {
  std::vector<Step> parsed = Steps(steps);
  EXPECT_EQ(parsed.size(), 1u);
  const T* body = std::get_if<T>(&parsed.at(0).body);
  EXPECT_NE(body, nullptr) << "step body holds another kind";
  return body != nullptr ? *body : T{};
}

TEST(ParseStepsTest, StepRemembersKeywordAndLocation) {
  std::vector<Step> steps = Steps("  - start\n  -   stop: nic0\n");
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].keyword, "start");
  EXPECT_EQ(steps[0].where.file, "s.yaml");
  EXPECT_EQ(steps[0].where.line, 3);
  EXPECT_EQ(steps[0].where.column, 5);
  EXPECT_EQ(steps[1].keyword, "stop");
  EXPECT_EQ(steps[1].where.line, 4);
  EXPECT_EQ(steps[1].where.column, 7);
}

TEST(ParseStepsTest, StartInEachForm) {
  EXPECT_EQ(Only<kemu::scenario::StartStep>("  - start\n").device, "");
  EXPECT_FALSE(Only<kemu::scenario::StartStep>("  - start\n").status.has_value());
  EXPECT_EQ(Only<kemu::scenario::StartStep>("  - start:\n").device, "");
  EXPECT_EQ(Only<kemu::scenario::StartStep>("  - start: nic1\n").device, "nic1");
  const auto full = Only<kemu::scenario::StartStep>(
      "  - start: {device: nic1, status: STATUS_INSUFFICIENT_RESOURCES}\n");
  EXPECT_EQ(full.device, "nic1");
  EXPECT_EQ(full.status, std::optional<std::int32_t>(STATUS_INSUFFICIENT_RESOURCES));
  EXPECT_EQ(Only<kemu::scenario::StartStep>("  - start: {status: 0x103}\n").status,
            std::optional<std::int32_t>(STATUS_PENDING));
}

TEST(ParseStepsTest, StopInEachForm) {
  EXPECT_EQ(Only<kemu::scenario::StopStep>("  - stop\n").device, "");
  EXPECT_EQ(Only<kemu::scenario::StopStep>("  - stop: nic1\n").device, "nic1");
  EXPECT_EQ(Only<kemu::scenario::StopStep>("  - stop: {device: nic1}\n").device, "nic1");
}

TEST(ParseStepsTest, LineEventsPickTheirAction) {
  EXPECT_EQ(Only<DeviceEventStep>("  - assert\n").action, DeviceAction::kAssertLine);
  EXPECT_EQ(Only<DeviceEventStep>("  - deassert\n").action, DeviceAction::kDeassertLine);
  EXPECT_EQ(Only<DeviceEventStep>("  - pulse\n").action, DeviceAction::kPulseLine);
  const DeviceEventStep bare = Only<DeviceEventStep>("  - assert\n");
  EXPECT_EQ(bare.device, "");
  EXPECT_FALSE(bare.after_calls.has_value());
  EXPECT_FALSE(bare.at_us.has_value());
  EXPECT_EQ(Only<DeviceEventStep>("  - deassert: nic1\n").device, "nic1");
}

TEST(ParseStepsTest, LineEventsSchedule) {
  const DeviceEventStep after =
      Only<DeviceEventStep>("  - pulse: {device: nic1, after_calls: 3}\n");
  EXPECT_EQ(after.device, "nic1");
  EXPECT_EQ(after.after_calls, std::optional<std::uint64_t>(3));
  EXPECT_FALSE(after.at_us.has_value());
  const DeviceEventStep at = Only<DeviceEventStep>("  - assert: {at_us: 0x10}\n");
  EXPECT_EQ(at.at_us, std::optional<std::uint64_t>(16));
  EXPECT_FALSE(at.after_calls.has_value());
}

TEST(ParseStepsTest, MessageInEachForm) {
  const DeviceEventStep shorthand = Only<DeviceEventStep>("  - message: 2\n");
  EXPECT_EQ(shorthand.action, DeviceAction::kSignalMessage);
  EXPECT_EQ(shorthand.message_id, 2u);
  EXPECT_EQ(shorthand.device, "");
  const DeviceEventStep full =
      Only<DeviceEventStep>("  - message: {id: 3, device: nic1, after_calls: 1}\n");
  EXPECT_EQ(full.action, DeviceAction::kSignalMessage);
  EXPECT_EQ(full.message_id, 3u);
  EXPECT_EQ(full.device, "nic1");
  EXPECT_EQ(full.after_calls, std::optional<std::uint64_t>(1));
}

TEST(ParseStepsTest, RegisterStepsReadOffsetAndValue) {
  const RegisterStep raise = Only<RegisterStep>("  - raise: {register: 0x8, bits: 0x1}\n");
  EXPECT_EQ(raise.kind, RegisterStep::Kind::kRaise);
  EXPECT_EQ(raise.device, "");
  EXPECT_EQ(raise.offset, 8u);
  EXPECT_EQ(raise.value, 1u);
  const RegisterStep clear =
      Only<RegisterStep>("  - clear: {device: nic1, register: 12, bits: 0xF0}\n");
  EXPECT_EQ(clear.kind, RegisterStep::Kind::kClear);
  EXPECT_EQ(clear.device, "nic1");
  EXPECT_EQ(clear.offset, 12u);
  EXPECT_EQ(clear.value, 0xF0u);
  const RegisterStep poke = Only<RegisterStep>("  - poke: {register: 0x4, value: 7}\n");
  EXPECT_EQ(poke.kind, RegisterStep::Kind::kPoke);
  EXPECT_EQ(poke.offset, 4u);
  EXPECT_EQ(poke.value, 7u);
}

TEST(ParseStepsTest, IrqlStepsAcceptNamesAndNumbers) {
  const auto raise = Only<kemu::scenario::IrqlStep>("  - raise_irql: DISPATCH_LEVEL\n");
  EXPECT_TRUE(raise.raise);
  EXPECT_EQ(raise.irql, 2);
  const auto lower = Only<kemu::scenario::IrqlStep>("  - lower_irql: PASSIVE_LEVEL\n");
  EXPECT_FALSE(lower.raise);
  EXPECT_EQ(lower.irql, 0);
  EXPECT_EQ(Only<kemu::scenario::IrqlStep>("  - raise_irql: APC_LEVEL\n").irql, 1);
  EXPECT_EQ(Only<kemu::scenario::IrqlStep>("  - raise_irql: HIGH_LEVEL\n").irql, 15);
  EXPECT_EQ(Only<kemu::scenario::IrqlStep>("  - raise_irql: 5\n").irql, 5);
}

TEST(ParseStepsTest, MachineSteps) {
  EXPECT_EQ(Only<kemu::scenario::ProcessorStep>("  - processor: 0\n").processor, 0u);
  Only<kemu::scenario::RunDpcsStep>("  - run_dpcs\n");
  Only<kemu::scenario::NmiStep>("  - nmi\n");
  const Step settle = Steps("  - settle\n").at(0);
  EXPECT_TRUE(std::holds_alternative<kemu::scenario::SettleStep>(settle.body));
  EXPECT_EQ(settle.keyword, "settle");
  EXPECT_EQ(settle.where.line, 3);
  EXPECT_EQ(Only<kemu::scenario::StallStep>("  - stall_us: 50\n").microseconds, 50u);
  EXPECT_EQ(Only<kemu::scenario::AdvanceTimeStep>("  - advance_time: 1000\n").microseconds, 1000u);
}

TEST(ParseStepsTest, ProcessorStepNamesAVcpuOfTheMachine) {
  const std::string file =
      "machine: {processors: 2}\ndevices: [{name: nic0}]\nsteps:\n  - processor: 1\n"
      "  - processor: 5\n";
  EXPECT_EQ(
      std::get<kemu::scenario::ProcessorStep>(
          ParseScenario(file.substr(0, file.rfind("  - processor: 5")), "s.yaml").steps.at(0).body)
          .processor,
      1u);
  try {
    ParseScenario(file, "s.yaml");
    ADD_FAILURE() << "processor: 5 parsed on a 2-vCPU machine";
  } catch (const kemu::scenario::ScenarioError& e) {
    EXPECT_STREQ(e.what(),
                 "s.yaml:5:5: error: 'processor: 5' names a vCPU the machine does not have "
                 "('machine: processors: 2' makes vCPUs 0..1)\n");
  }
}

TEST(ParseStepsTest, BusyProcessorInEachForm) {
  const std::string machine = "machine: {processors: 2}\ndevices: [{name: nic0}]\nsteps:\n";
  const auto only = [&](const std::string& step) {
    return ParseScenario(machine + step, "s.yaml").steps.at(0);
  };
  const Step bare = only("  - busy_processor: 1\n");
  EXPECT_EQ(bare.keyword, "busy_processor");
  const auto& scalar = std::get<kemu::scenario::BusyProcessorStep>(bare.body);
  EXPECT_EQ(scalar.processor, 1u);
  EXPECT_EQ(scalar.irql, DISPATCH_LEVEL);
  const auto named = std::get<kemu::scenario::BusyProcessorStep>(
      only("  - busy_processor: {processor: 1, irql: HIGH_LEVEL}\n").body);
  EXPECT_EQ(named.processor, 1u);
  EXPECT_EQ(named.irql, HIGH_LEVEL);
  EXPECT_EQ(std::get<kemu::scenario::BusyProcessorStep>(
                only("  - busy_processor: {processor: 0, irql: 5}\n").body)
                .irql,
            5);
  EXPECT_EQ(std::get<kemu::scenario::ReleaseProcessorStep>(only("  - release_processor: 1\n").body)
                .processor,
            1u);
}

TEST(ParseStepsTest, BusyAndReleaseNameAVcpuOfTheMachine) {
  try {
    ParseScenario(
        "machine: {processors: 2}\ndevices: [{name: nic0}]\nsteps:\n"
        "  - busy_processor: {processor: 2, irql: DISPATCH_LEVEL}\n  - release_processor: 3\n",
        "s.yaml");
    ADD_FAILURE() << "vCPUs 2 and 3 parsed on a 2-vCPU machine";
  } catch (const kemu::scenario::ScenarioError& e) {
    EXPECT_STREQ(e.what(),
                 "s.yaml:4:5: error: 'busy_processor: 2' names a vCPU the machine does not have "
                 "('machine: processors: 2' makes vCPUs 0..1)\n"
                 "s.yaml:5:5: error: 'release_processor: 3' names a vCPU the machine does not "
                 "have ('machine: processors: 2' makes vCPUs 0..1)\n");
  }
}

TEST(ParseStepsTest, BusyProcessorIrqlIsDispatchLevelOrAbove) {
  try {
    Steps("  - busy_processor: {processor: 0, irql: PASSIVE_LEVEL}\n");
    ADD_FAILURE() << "a busy vCPU at PASSIVE_LEVEL parsed";
  } catch (const kemu::scenario::ScenarioError& e) {
    EXPECT_STREQ(e.what(),
                 "s.yaml:3:42: error: 'irql' of 'busy_processor' is out of range: "
                 "'PASSIVE_LEVEL' (expected DISPATCH_LEVEL to HIGH_LEVEL, 2..15)\n");
  }
}

TEST(ParseStepsTest, SettleTakesNoValue) {
  try {
    Steps("  - settle: 2\n");
    ADD_FAILURE() << "settle: 2 parsed";
  } catch (const kemu::scenario::ScenarioError& e) {
    EXPECT_STREQ(e.what(), "s.yaml:3:13: error: 'settle' takes no value, got '2'\n");
  }
}

TEST(ParseStepsTest, ExpectStepHoldsABlock) {
  const auto expect = Only<kemu::scenario::ExpectStep>("  - expect: {isr_calls: 3}\n");
  EXPECT_EQ(expect.block.where.line, 3);
  ASSERT_TRUE(expect.block.all.isr_calls.has_value());
  EXPECT_EQ(expect.block.all.isr_calls->value, 3u);
}

TEST(ParseStepsTest, BareActionHasNoArguments) {
  const ActionStep action = Only<ActionStep>("  - reset_chip\n");
  EXPECT_EQ(action.name, "reset_chip");
  EXPECT_EQ(action.device, "");
  EXPECT_TRUE(action.args.values().empty());
  EXPECT_EQ(action.args.where().line, 3);
}

TEST(ParseStepsTest, ScalarActionArgumentIsStoredUnderTheEmptyName) {
  const ActionStep action = Only<ActionStep>("  - receive_frames: 3\n");
  EXPECT_EQ(action.name, "receive_frames");
  EXPECT_EQ(action.args.values(), (std::map<std::string, std::string>{{"", "3"}}));
}

TEST(ParseStepsTest, ActionMapGivesNamedArgumentsAndDevice) {
  const ActionStep action = Only<ActionStep>("  - send: {device: nic1, bytes: 0x40, mode: fast}\n");
  EXPECT_EQ(action.device, "nic1");
  EXPECT_EQ(action.args.values(),
            (std::map<std::string, std::string>{{"bytes", "0x40"}, {"mode", "fast"}}));
  EXPECT_EQ(action.args.Unsigned("bytes", 0), 0x40u);
  EXPECT_EQ(action.args.String("mode", ""), "fast");
}

TEST(ParseStepsTest, StepsKeepFileOrder) {
  std::vector<Step> steps = Steps("  - start\n  - assert\n  - run_dpcs\n  - stop\n");
  std::vector<std::string> keywords;
  for (const Step& step : steps) keywords.push_back(step.keyword);
  EXPECT_EQ(keywords, (std::vector<std::string>{"start", "assert", "run_dpcs", "stop"}));
}

}  // namespace
