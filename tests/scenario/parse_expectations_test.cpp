// ParseScenario: `expect:` blocks, bug-check syntax and per-personality overrides.
#include <gtest/gtest.h>
#include <wdm.h>

#include "kemu/bugcheck.hpp"
#include "kemu/scenario/parser.hpp"

namespace {

using ::kemu::Os;
using ::kemu::scenario::BugCheckExpectation;
using ::kemu::scenario::ExpectationBlock;
using ::kemu::scenario::Expectations;
using ::kemu::scenario::ParseScenario;

ExpectationBlock Block(const std::string& expect) {
  auto s = ParseScenario("devices: [{name: nic0}, {name: nic1}]\nsteps: []\nexpect:\n" + expect,
                         "e.yaml");
  EXPECT_TRUE(s.expect.has_value());
  return s.expect.value_or(ExpectationBlock{});
}

BugCheckExpectation BugCheck(const std::string& text) {
  const ExpectationBlock block = Block("  bugcheck: " + text + "\n");
  EXPECT_TRUE(block.all.bugcheck.has_value());
  return block.all.bugcheck ? block.all.bugcheck->value : BugCheckExpectation{};
}

TEST(ParseExpectationsTest, EveryKeyFillsItsField) {
  const Expectations e = Block(
                             "  device: nic1\n"
                             "  connect_version: CONNECT_MESSAGE_BASED\n"
                             "  isr_calls: 3\n"
                             "  isr_claimed: 2\n"
                             "  dpcs_requested: 1\n"
                             "  message_count: 4\n"
                             "  granted_messages: 8\n"
                             "  registers: {0x10: 0x7}\n"
                             "  probes: {frames: -3, big: 0x10}\n"
                             "  bugcheck: none\n"
                             "  irql: DISPATCH_LEVEL\n"
                             "  start_status: STATUS_NOT_SUPPORTED\n")
                             .all;
  EXPECT_EQ(e.device, "nic1");
  EXPECT_EQ(e.connect_version->value, static_cast<std::uint32_t>(CONNECT_MESSAGE_BASED));
  EXPECT_EQ(e.isr_calls->value, 3u);
  EXPECT_EQ(e.isr_claimed->value, 2u);
  EXPECT_EQ(e.dpcs_requested->value, 1u);
  EXPECT_EQ(e.message_count->value, 4u);
  EXPECT_EQ(e.granted_messages->value, 8u);
  ASSERT_EQ(e.registers.size(), 1u);
  EXPECT_EQ(e.registers.at(0x10).value, 7u);
  ASSERT_EQ(e.probes.size(), 2u);
  EXPECT_EQ(e.probes.at("frames").value, -3);
  EXPECT_EQ(e.probes.at("big").value, 16);
  EXPECT_TRUE(e.bugcheck->value.none);
  EXPECT_EQ(e.irql->value, 2);
  EXPECT_EQ(e.start_status->value, STATUS_NOT_SUPPORTED);
}

TEST(ParseExpectationsTest, ExpectedValuesRememberTheirKeyLocation) {
  const Expectations e = Block("  isr_calls: 3\n  probes:\n    frames: 1\n").all;
  EXPECT_EQ(e.isr_calls->where.file, "e.yaml");
  EXPECT_EQ(e.isr_calls->where.line, 4);
  EXPECT_EQ(e.isr_calls->where.column, 3);
  EXPECT_EQ(e.probes.at("frames").where.line, 6);
  EXPECT_EQ(e.probes.at("frames").where.column, 5);
}

TEST(ParseExpectationsTest, UnsetFieldsStayUnset) {
  const Expectations e = Block("  isr_calls: 0\n").all;
  EXPECT_EQ(e.device, "");
  EXPECT_FALSE(e.connect_version.has_value());
  EXPECT_FALSE(e.bugcheck.has_value());
  EXPECT_FALSE(e.irql.has_value());
  EXPECT_TRUE(e.probes.empty());
}

TEST(ParseExpectationsTest, ConnectVersionAcceptsNoneAndNumbers) {
  EXPECT_EQ(Block("  connect_version: none\n").all.connect_version->value, 0u);
  EXPECT_EQ(Block("  connect_version: 2\n").all.connect_version->value,
            static_cast<std::uint32_t>(CONNECT_LINE_BASED));
}

TEST(ParseExpectationsTest, ProbesAcceptTheSigned64BitRange) {
  const Expectations e =
      Block("  probes: {low: -9223372036854775808, high: 9223372036854775807}\n").all;
  EXPECT_EQ(e.probes.at("low").value, INT64_MIN);
  EXPECT_EQ(e.probes.at("high").value, INT64_MAX);
}

TEST(ParseExpectationsTest, BugCheckNone) {
  const BugCheckExpectation none = BugCheck("none");
  EXPECT_TRUE(none.none);
  EXPECT_FALSE(none.parameter1.has_value());
}

TEST(ParseExpectationsTest, BugCheckCode) {
  const BugCheckExpectation code = BugCheck("0xF2");
  EXPECT_FALSE(code.none);
  EXPECT_EQ(code.code, 0xF2u);
  EXPECT_FALSE(code.parameter1.has_value());
}

TEST(ParseExpectationsTest, BugCheckCodeWithParameter) {
  const BugCheckExpectation code = BugCheck("0xC4/0x42");
  EXPECT_EQ(code.code, 0xC4u);
  EXPECT_EQ(code.parameter1, std::optional<std::uint64_t>(0x42));
}

TEST(ParseExpectationsTest, BugCheckName) {
  EXPECT_EQ(BugCheck("HARDWARE_INTERRUPT_STORM").code,
            static_cast<std::uint32_t>(kemu::bugcheck::kHardwareInterruptStorm));
  const BugCheckExpectation named = BugCheck("DRIVER_VERIFIER_DETECTED_VIOLATION/0x42");
  EXPECT_EQ(named.code,
            static_cast<std::uint32_t>(kemu::bugcheck::kDriverVerifierDetectedViolation));
  EXPECT_EQ(named.parameter1, std::optional<std::uint64_t>(0x42));
}

TEST(ParseExpectationsTest, PerOsOverridesKeepFileOrder) {
  const ExpectationBlock block = Block(
      "  connect_version: CONNECT_MESSAGE_BASED\n"
      "  os:\n"
      "    win2000..ws2003: {connect_version: CONNECT_FULLY_SPECIFIED, isr_calls: 1}\n"
      "    xp: {isr_calls: 2}\n");
  ASSERT_EQ(block.per_os.size(), 2u);
  EXPECT_EQ(block.per_os[0].first,
            (std::vector<Os>{Os::kWindows2000, Os::kWindowsXP, Os::kWindowsServer2003}));
  EXPECT_EQ(block.per_os[0].second.connect_version->value,
            static_cast<std::uint32_t>(CONNECT_FULLY_SPECIFIED));
  EXPECT_EQ(block.per_os[0].second.connect_version->where.line, 6);
  EXPECT_EQ(block.per_os[1].first, std::vector<Os>{Os::kWindowsXP});
  EXPECT_EQ(block.per_os[1].second.isr_calls->value, 2u);
}

TEST(ParseExpectationsTest, ForLaysOverridesOverTheCommonExpectations) {
  const ExpectationBlock block = Block(
      "  connect_version: CONNECT_MESSAGE_BASED\n"
      "  isr_calls: 5\n"
      "  os:\n"
      "    win2000..ws2003: {connect_version: CONNECT_FULLY_SPECIFIED, isr_calls: 1}\n"
      "    xp: {isr_calls: 2}\n");
  const Expectations win10 = block.For(Os::kWindows10);
  EXPECT_EQ(win10.connect_version->value, static_cast<std::uint32_t>(CONNECT_MESSAGE_BASED));
  EXPECT_EQ(win10.isr_calls->value, 5u);
  const Expectations ws2003 = block.For(Os::kWindowsServer2003);
  EXPECT_EQ(ws2003.connect_version->value, static_cast<std::uint32_t>(CONNECT_FULLY_SPECIFIED));
  EXPECT_EQ(ws2003.isr_calls->value, 1u);
  const Expectations xp = block.For(Os::kWindowsXP);
  EXPECT_EQ(xp.connect_version->value, static_cast<std::uint32_t>(CONNECT_FULLY_SPECIFIED));
  EXPECT_EQ(xp.isr_calls->value, 2u);
}

}  // namespace
