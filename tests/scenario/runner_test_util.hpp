// Building scenarios in C++ for the runner tests (they do not depend on the parser).
#ifndef KEMU_TESTS_SCENARIO_RUNNER_TEST_UTIL_HPP_
#define KEMU_TESTS_SCENARIO_RUNNER_TEST_UTIL_HPP_

#include <string>
#include <utility>
#include <vector>

#include "kemu/scenario/runner.hpp"
#include "kemu/scenario/scenario.hpp"
#include "test_driver.hpp"

namespace kemu::scenario::test {

inline Location At(int line, int column = 3) { return {"runner_test.yaml", line, column}; }

template <typename T>
Expected<T> Want(T value, int line) {
  return {value, At(line, 5)};
}

inline Step MakeStep(int line, std::string keyword, StepBody body) {
  return {At(line), std::move(keyword), std::move(body)};
}

/// nic0: line 0x51 at DIRQL 5 (level, shared), a 0x40-byte BAR with the test driver's registers,
/// and `messages` MSI messages.
inline DeviceSpec Nic(unsigned messages = 0, std::string name = "nic0") {
  DeviceSpec spec;
  spec.where = At(2);
  spec.config.name = std::move(name);
  spec.config.line = LineInterrupt{.vector = 0x51, .irql = 5, .shared = true};
  spec.config.messages = messages;
  spec.config.memory_bytes = kBarBytes;
  spec.registers = TestRegisters();
  spec.registers->where = At(2, 7);
  return spec;
}

/// Another driver's device on the same shared line, without registers.
inline DeviceSpec Foreign(std::string name = "other0", Trigger mode = Trigger::kLevel) {
  DeviceSpec spec;
  spec.where = At(3);
  spec.config.name = std::move(name);
  spec.config.line = LineInterrupt{.vector = 0x51, .irql = 5, .mode = mode, .shared = true};
  spec.foreign = true;
  return spec;
}

/// A scenario on Windows 10 with nic0 and the given steps.
inline Scenario Base(std::vector<Step> steps) {
  Scenario s;
  s.where = At(1, 1);
  s.where.line = 1;
  s.name = "runner_test";
  s.os = {Os::kWindows10};
  s.machine.seed = 7;
  s.devices = {Nic()};
  s.steps = std::move(steps);
  return s;
}

inline ExpectationBlock Block(int line, Expectations all) {
  ExpectationBlock block;
  block.where = At(line);
  block.all = std::move(all);
  return block;
}

inline Step Expect(int line, Expectations all) {
  return MakeStep(line, "expect", ExpectStep{Block(line, std::move(all))});
}

inline Step Start(int line, std::string device = "") {
  return MakeStep(line, "start", StartStep{.device = std::move(device), .status = std::nullopt});
}
inline Step Stop(int line, std::string device = "") {
  return MakeStep(line, "stop", StopStep{.device = std::move(device)});
}
inline Step RunDpcs(int line) { return MakeStep(line, "run_dpcs", RunDpcsStep{}); }
inline Step Settle(int line) { return MakeStep(line, "settle", SettleStep{}); }
inline Step Raise(int line, std::uint32_t offset, std::uint32_t bits, std::string device = "") {
  return MakeStep(line, "raise",
                  RegisterStep{.kind = RegisterStep::Kind::kRaise,
                               .device = std::move(device),
                               .offset = offset,
                               .value = bits});
}
inline Step Action(int line, std::string name, std::map<std::string, std::string> args = {}) {
  return MakeStep(line, name, ActionStep{name, "", ActionArgs(At(line), std::move(args))});
}
inline Step Event(int line, DeviceAction action, std::string device = "",
                  std::optional<std::uint64_t> after_calls = std::nullopt,
                  std::optional<std::uint64_t> at_us = std::nullopt) {
  return MakeStep(line, "event",
                  DeviceEventStep{.device = std::move(device),
                                  .action = action,
                                  .after_calls = after_calls,
                                  .at_us = at_us});
}

/// scenario::Run (a test body cannot call it unqualified: testing::Test::Run hides it).
inline Outcome Play(const Scenario& scenario, Os os, const AdapterFactory& factory,
                    const RunOptions& options = {}) {
  return Run(scenario, os, factory, options);
}

inline std::vector<std::string> Messages(const Outcome& outcome) {
  std::vector<std::string> messages;
  for (const Failure& f : outcome.failures) {
    messages.push_back(FormatLocation(f.where) + ": " + f.message);
  }
  return messages;
}

}  // namespace kemu::scenario::test

#endif  // KEMU_TESTS_SCENARIO_RUNNER_TEST_UTIL_HPP_
