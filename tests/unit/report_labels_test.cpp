// Each "ArgN:" line of a bug-check report labels the value printed beside it: a label naming a
// specific value ("1: disconnected") must match that value, and a parameter kemu cannot
// fill (an instruction address) says so instead of passing 0 off as one.
#include <wdm.h>

#include <cstdint>
#include <sstream>
#include <string>

#include "kemu/testing/gtest.hpp"

namespace {

using ::kemu::testing::CrashOf;
using ::testing::EndsWith;
using ::testing::HasSubstr;

// The report's line for Arg`n` (1..4), e.g. "    Arg3: 0x0000000000000000  0: read".
std::string ArgLine(const kemu::BugCheck& crash, int n) {
  std::istringstream lines(crash.report());
  const std::string prefix = "    Arg" + std::to_string(n) + ": ";
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(prefix, 0) == 0) return line;
  }
  ADD_FAILURE() << "no Arg" << n << " line in\n" << crash.report();
  return "";
}

kemu::MachineOptions Checked() {
  return {.os = kemu::Os::kWindows10, .verifier = false, .checked_build = true};
}

BOOLEAN Isr(PKINTERRUPT, PVOID) { return TRUE; }

TEST(ReportLabelsTest, InvalidInterruptObjectLabelsArg3ZeroAsNeverConnected) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KINTERRUPT fake{};
  const kemu::BugCheck crash = CrashOf([&] { KeAcquireInterruptSpinLock(&fake); });
  ASSERT_EQ(crash.parameter(0), kemu::verifier_code::kInvalidInterruptObject);
  ASSERT_EQ(crash.parameter(2), 0u);
  EXPECT_THAT(ArgLine(crash, 3), EndsWith("0x0000000000000000  0: never an interrupt connection"));
}

TEST(ReportLabelsTest, InvalidInterruptObjectLabelsArg3OneAsDisconnected) {
  kemu::Machine machine(kemu::Os::kWindows10);
  machine.AddDevice({.name = "timer", .line = kemu::LineInterrupt{.vector = 0x51, .irql = 5}});
  PKINTERRUPT interrupt = nullptr;
  ASSERT_EQ(IoConnectInterrupt(&interrupt, &Isr, nullptr, nullptr, 0x51, 5, 5, LevelSensitive,
                               FALSE, 1, FALSE),
            STATUS_SUCCESS);
  IoDisconnectInterrupt(interrupt);
  const kemu::BugCheck crash = CrashOf([&] { KeAcquireInterruptSpinLock(interrupt); });
  ASSERT_EQ(crash.parameter(2), 1u);
  EXPECT_THAT(ArgLine(crash, 3), EndsWith("0x0000000000000001  1: disconnected"));
}

TEST(ReportLabelsTest, IrqlNotLessOrEqualSaysWhichParametersKemuCannotFill) {
  kemu::Machine machine(Checked());
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  const kemu::BugCheck crash = CrashOf([] { KeFlushQueuedDpcs(); });
  ASSERT_EQ(crash.code(), kemu::bugcheck::kIrqlNotLessOrEqual);
  EXPECT_THAT(ArgLine(crash, 1), HasSubstr("address referenced (not available in kemu)"));
  EXPECT_THAT(ArgLine(crash, 2), EndsWith("0x0000000000000002  IRQL"));
  EXPECT_THAT(ArgLine(crash, 3), EndsWith("0x0000000000000000  0: read"));
  EXPECT_THAT(ArgLine(crash, 4), HasSubstr("address of the instruction (not available in kemu)"));
}

TEST(ReportLabelsTest, MapIoSpaceAboveDispatchOnACheckedKernelLabelsTheAccess) {
  kemu::Machine machine(Checked());
  KIRQL old;
  KeRaiseIrql(HIGH_LEVEL, &old);
  PHYSICAL_ADDRESS physical;
  physical.QuadPart = 0xF0000000;
  const kemu::BugCheck crash = CrashOf([&] { MmMapIoSpace(physical, 0x100, MmNonCached); });
  ASSERT_EQ(crash.code(), kemu::bugcheck::kIrqlNotLessOrEqual);
  EXPECT_THAT(ArgLine(crash, 1), HasSubstr("(not available in kemu)"));
  EXPECT_THAT(ArgLine(crash, 3), EndsWith("0x0000000000000000  0: read"));
}

TEST(ReportLabelsTest, PagedCodeLabelsTheMissingAddresses) {
  kemu::Machine machine(kemu::Os::kWindows10);
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  const kemu::BugCheck crash = CrashOf([] { PAGED_CODE(); });
  ASSERT_EQ(crash.code(), kemu::bugcheck::kDriverIrqlNotLessOrEqual);
  EXPECT_THAT(ArgLine(crash, 1), HasSubstr("address referenced (not available in kemu)"));
  EXPECT_THAT(ArgLine(crash, 3), EndsWith("0x0000000000000008  8: execute"));
  EXPECT_THAT(ArgLine(crash, 4), HasSubstr("address of the instruction (not available in kemu)"));
}

TEST(ReportLabelsTest, ExceptionReportsSayTheExceptionAddressIsNotAvailable) {
  kemu::Machine machine(kemu::Os::kWindows10);
  const kemu::BugCheck null_argument = CrashOf([] { KeInitializeSpinLock(nullptr); });
  ASSERT_EQ(null_argument.code(), kemu::bugcheck::kKmodeExceptionNotHandled);
  EXPECT_THAT(ArgLine(null_argument, 2),
              EndsWith("0x0000000000000000  address of the exception (not available in kemu)"));
}

TEST(ReportLabelsTest, AssertionReportsSayTheExceptionAddressIsNotAvailable) {
  kemu::Machine machine(kemu::Os::kWindows10);
  const kemu::BugCheck crash = CrashOf([] { ASSERT(1 == 2); });
  ASSERT_EQ(crash.code(), kemu::bugcheck::kKmodeExceptionNotHandled);
  EXPECT_THAT(ArgLine(crash, 2),
              EndsWith("0x0000000000000000  address of the exception (not available in kemu)"));
}

TEST(ReportLabelsTest, DdiComplianceRuleSaysItsStateIsNotAvailable) {
  kemu::Machine machine(kemu::Os::kWindows10);
  machine.AddDevice({.name = "timer", .line = kemu::LineInterrupt{.vector = 0x51, .irql = 5}});
  KIRQL old;
  KeRaiseIrql(DISPATCH_LEVEL, &old);
  PKINTERRUPT interrupt = nullptr;
  const kemu::BugCheck crash = CrashOf([&] {
    IoConnectInterrupt(&interrupt, &Isr, nullptr, nullptr, 0x51, 5, 5, LevelSensitive, FALSE, 1,
                       FALSE);
  });
  ASSERT_EQ(crash.parameter(0), kemu::verifier_code::kIrqlIoPassive);
  EXPECT_THAT(ArgLine(crash, 3),
              EndsWith("0x0000000000000000  rule state (not available in kemu)"));
}

TEST(ReportLabelsTest, UnmappedRegisterAccessLabelsReadAndWriteByValue) {
  kemu::Machine machine(kemu::Os::kWindows10);
  auto* unmapped = reinterpret_cast<volatile ULONG*>(std::uintptr_t{0x1000});
  const kemu::BugCheck read = CrashOf([&] { READ_REGISTER_ULONG(unmapped); });
  EXPECT_THAT(ArgLine(read, 2), EndsWith("0x0000000000000000  0: read"));
}

TEST(ReportLabelsTest, UnmappedRegisterWriteIsLabelledAWrite) {
  kemu::Machine machine(kemu::Os::kWindows10);
  auto* unmapped = reinterpret_cast<volatile ULONG*>(std::uintptr_t{0x1000});
  const kemu::BugCheck write = CrashOf([&] { WRITE_REGISTER_ULONG(unmapped, 1); });
  EXPECT_THAT(ArgLine(write, 2), EndsWith("0x0000000000000001  1: write"));
}

}  // namespace
