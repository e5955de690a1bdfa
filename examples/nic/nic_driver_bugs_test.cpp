// The deliberately buggy builds of nic_driver.c, each caught with the exact bug check Windows
// raises: EXPECT_BUGCHECK / ASSERT_BUGCHECK for the code, BugCheckIs(code, arg1) and plain
// GoogleMock matchers for the parameters, and the listener's one-line summary.
//
//   NIC_BUG_SPINLOCK_AT_DIRQL  the ISR takes the driver's DISPATCH_LEVEL spin lock at DIRQL
//   NIC_BUG_NO_ACK             the ISR never writes the causes back to the card
//   NIC_BUG_LEAK_RX_BUFFERS    the stop path never frees the receive buffers
//   NIC_BUG_WAIT_AT_DISPATCH   the stop path waits on an event holding a spin lock
#include <cstdint>
#include <optional>
#include <string>

#include "driver/nic_driver.h"
#include "kemu/kemu.hpp"
#include "kemu/testing/gtest.hpp"
#include "nic_device.hpp"
#include "nic_test.hpp"

namespace {

using ::kemu::testing::BugCheckIs;
using ::kemu::testing::StatusIs;
using ::kemu_example::NicTest;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Optional;
using ::testing::ResultOf;
using ::testing::Throws;
namespace bugcheck = ::kemu::bugcheck;
namespace verifier_code = ::kemu::verifier_code;

// Bug-check parameter `index` (0-based; the debugger's Arg1..Arg4 are 0..3), for matchers.
auto Arg(int index) {
  return [index](const kemu::BugCheck& crash) { return crash.parameter(index); };
}

std::uint64_t AddressOf(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

// ---------------------------------------------------------------------------------------------
// NIC_BUG_SPINLOCK_AT_DIRQL, under Driver Verifier and under a checked kernel without it.

class SpinLockAtDirqlTest : public NicTest<kemu::testing::MachineTest> {
 protected:
  bool verifier() const { return std::get<2>(GetParam()) == kemu::KernelMode::kVerifier; }
};

// One vCPU is enough here; the generators compose like AllMachines() does.
INSTANTIATE_TEST_SUITE_P(EveryOsVerifierOffAndOn, SpinLockAtDirqlTest,
                         ::testing::Combine(kemu::testing::AllOs(), kemu::testing::Processors({1}),
                                            kemu::testing::VerifierModes()),
                         kemu::testing::MachineName());

TEST_P(SpinLockAtDirqlTest, TheFirstInterruptIsCaught) {
  AddNic();
  ASSERT_THAT(Start(NicDriverBugSpinLockAtDirql), StatusIs(STATUS_SUCCESS));

  if (verifier()) {
    // 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION, Arg1 0x42: KeAcquireSpinLock above DISPATCH_LEVEL.
    EXPECT_THAT([&] { nic_.ReceiveFrames(1); },
                Throws<kemu::BugCheck>(BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                                                  verifier_code::kAcquireSpinLockAboveDispatch)));
  } else {
    // A checked kernel sees KeAcquireSpinLock "raise" from DIRQL to DISPATCH_LEVEL.
    EXPECT_BUGCHECK(nic_.ReceiveFrames(1), bugcheck::kIrqlNotGreaterOrEqual);
  }
}

TEST_P(SpinLockAtDirqlTest, TheCorrectBuildIsSilentOnTheSameMachine) {
  AddNic();
  ASSERT_THAT(Start(NicDriver), StatusIs(STATUS_SUCCESS));
  nic_.ReceiveFrames(3);
  EXPECT_EQ(Statistics().Interrupts, 3u);
}

// A retail kernel checks nothing and KeAcquireSpinLock quietly drops the IRQL (SL-6), so the bug
// hides until the interrupt lands while NicGetStatistics holds the lock on the same processor:
// the ISR then spins on a lock its own processor holds. kemu reports the deadlock Windows hangs on.
// A retail kernel on every Windows: no Driver Verifier, no checked build.
class RetailNicTest : public NicTest<kemu::testing::PersonalityTest> {
 protected:
  kemu::MachineOptions Options() const override {
    return {.os = GetParam(), .verifier = false, .checked_build = false};
  }
};

class SpinLockAtDirqlRetailTest : public RetailNicTest {};

INSTANTIATE_TEST_SUITE_P(AllWindows, SpinLockAtDirqlRetailTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

TEST_P(SpinLockAtDirqlRetailTest, HidesUntilTheInterruptLandsInsideGetStatistics) {
  AddNic();
  ASSERT_THAT(Start(NicDriverBugSpinLockAtDirql), StatusIs(STATUS_SUCCESS));
  nic_.ReceiveFrames(3);
  EXPECT_EQ(Statistics().FramesReceived, 3u);  // looks fine

  nic_.StageFrames(1);
  device_->ScheduleAfterCalls(2, nic_.InterruptAction());  // inside NicGetStatistics's lock
  EXPECT_BUGCHECK(Statistics(), bugcheck::kSpinLockAlreadyOwned);
}

// ---------------------------------------------------------------------------------------------
// NIC_BUG_NO_ACK.

class NoAckTest : public NicTest<kemu::testing::PersonalityTest> {
 protected:
  // The card on its level line only, as before Vista or when the PnP manager withholds MSI.
  void AddNicOnItsLine() {
    kemu::DeviceConfig config = nic_.Config();
    config.withhold_msi = true;
    AddNic(config);
  }
};

INSTANTIATE_TEST_SUITE_P(AllWindows, NoAckTest, kemu::testing::AllOs(), kemu::testing::OsName());

TEST_P(NoAckTest, OnALevelLineTheFirstInterruptStorms) {
  AddNicOnItsLine();
  ASSERT_THAT(Start(NicDriverBugNoAck), StatusIs(STATUS_SUCCESS));

  // 0xF2 HARDWARE_INTERRUPT_STORM: Arg1 the ISR, Arg2 its context (the extension), Arg3 the
  // interrupt object, Arg4 1 = the ISR was alone on the vector.
  EXPECT_THAT(
      [&] { nic_.ReceiveFrames(1); },
      Throws<kemu::BugCheck>(AllOf(BugCheckIs(bugcheck::kHardwareInterruptStorm),
                                   ResultOf("Arg2 (ISR context)", Arg(1), AddressOf(&extension_)),
                                   ResultOf("Arg4 (1: unchained)", Arg(3), 1u))));
  EXPECT_TRUE(machine().crashed());
}

TEST_P(NoAckTest, ACrashedMachineRunsNoMoreKernelCode) {
  AddNicOnItsLine();
  ASSERT_THAT(Start(NicDriverBugNoAck), StatusIs(STATUS_SUCCESS));
  ASSERT_BUGCHECK(nic_.ReceiveFrames(1), bugcheck::kHardwareInterruptStorm);

  // Every later kernel call raises the same bug check again, so a test cannot run on by accident.
  // (EXPECT_BUGCHECK refuses a machine that crashed before its statement: what it caught would
  // say nothing about the statement.)
  EXPECT_THAT([&] { Statistics(); },
              Throws<kemu::BugCheck>(BugCheckIs(bugcheck::kHardwareInterruptStorm)));
}

TEST_P(NoAckTest, TheListenerSummarizesTheReportInOneLineWithTheSeed) {
  AddNicOnItsLine();
  ASSERT_THAT(Start(NicDriverBugNoAck), StatusIs(STATUS_SUCCESS));
  std::string report;
  try {
    nic_.ReceiveFrames(1);
  } catch (const kemu::BugCheck& crash) {
    report = crash.report();
  }
  // What kemu::testing::BugCheckListener prints under a test that failed on this bug check.
  EXPECT_THAT(kemu::testing::BugCheckListener::Summarize(report),
              Optional(HasSubstr("bug check 0xF2 HARDWARE_INTERRUPT_STORM, seed 0")));
}

// With MSI there is no level line to storm: the card sends a message only when a cause appears
// while none is pending, so with RX_DONE never cleared it falls silent after the first frame.
TEST_P(NoAckTest, WithMsiTheCardFallsSilentInstead) {
  AddNic();
  ASSERT_THAT(Start(NicDriverBugNoAck), StatusIs(STATUS_SUCCESS));
  if (!extension_.MessageUsed) {
    GTEST_SKIP() << machine().personality().display_name << " grants no MSI";
  }

  nic_.ReceiveFrames(3);
  EXPECT_EQ(device_->connection()->isr_calls, 1u);
  EXPECT_EQ(Statistics().FramesReceived, 1u);  // two frames wait in the ring for an interrupt
  EXPECT_EQ(nic_.causes(), NIC_INT_RX_DONE);   // still latched
}

// ---------------------------------------------------------------------------------------------
// NIC_BUG_LEAK_RX_BUFFERS: every run looks fine until the machine shuts down (the driver
// unloads), where the leaked block is reported with its tag, size and allocating call.

class LeakRxBuffersTest : public NicTest<kemu::testing::MachineTest> {
 protected:
  bool verifier() const { return std::get<2>(GetParam()) == kemu::KernelMode::kVerifier; }

  std::optional<kemu::BugCheck> ShutdownCrash() {
    try {
      machine().Shutdown();
    } catch (const kemu::BugCheck& crash) {
      return crash;
    }
    return std::nullopt;
  }
};

INSTANTIATE_TEST_SUITE_P(EveryOsVerifierOffAndOn, LeakRxBuffersTest,
                         ::testing::Combine(kemu::testing::AllOs(), kemu::testing::Processors({1}),
                                            kemu::testing::VerifierModes()),
                         kemu::testing::MachineName());

TEST_P(LeakRxBuffersTest, ShutdownReportsTheReceiveBuffersWithTheirTag) {
  AddNic();
  ASSERT_THAT(Start(NicDriverBugLeakRxBuffers), StatusIs(STATUS_SUCCESS));
  nic_.ReceiveFrames(2);
  const std::uint64_t block = AddressOf(extension_.RxBuffers);
  Stop();
  EXPECT_EQ(Statistics().FramesReceived, 2u);  // nothing looked wrong
  EXPECT_EQ(machine().pool_allocations(), 1u);

  const std::optional<kemu::BugCheck> crash = ShutdownCrash();
  ASSERT_TRUE(crash.has_value()) << "Shutdown reported no leak";
  const kemu::BugCheck& leak = *crash;
  if (verifier()) {
    // Pool is all that is left: Driver Verifier's pool tracking, 0xC4 / 0x62, Arg4 = 1 block.
    EXPECT_THAT(leak, BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                                 verifier_code::kPoolLeakedAtUnload, 0, block, 1));
  } else {
    // Without Driver Verifier, Windows says nothing; kemu's own leak report names the block.
    EXPECT_THAT(leak, BugCheckIs(bugcheck::kDriverVerifierDetectedViolation,
                                 verifier_code::kLeakAtShutdown, 1, block, 0));
  }
  const std::string bytes = std::to_string(NIC_RX_RING_SIZE * sizeof(NIC_RX_BUFFER));
  EXPECT_THAT(leak.what(), HasSubstr(bytes + " bytes of nonpaged pool, tag 'NicR'"));
  EXPECT_THAT(leak.what(), HasSubstr("ExAllocatePoolWithTag allocated it"));
}

TEST_P(LeakRxBuffersTest, TheCorrectBuildFreesItsPool) {
  AddNic();
  ASSERT_THAT(Start(NicDriver), StatusIs(STATUS_SUCCESS));
  nic_.ReceiveFrames(2);
  Stop();
  EXPECT_EQ(machine().pool_allocations(), 0u);
  EXPECT_NO_THROW(machine().Shutdown());
}

// ---------------------------------------------------------------------------------------------
// NIC_BUG_WAIT_AT_DISPATCH: KeWaitForSingleObject with no timeout at DISPATCH_LEVEL.

// Driver Verifier and a checked kernel check the IRQL of every wait, whether or not it blocks.
class WaitAtDispatchTest : public NicTest<kemu::testing::MachineTest> {
 protected:
  bool verifier() const { return std::get<2>(GetParam()) == kemu::KernelMode::kVerifier; }
};

INSTANTIATE_TEST_SUITE_P(EveryOsVerifierOffAndOn, WaitAtDispatchTest,
                         ::testing::Combine(kemu::testing::AllOs(), kemu::testing::Processors({1}),
                                            kemu::testing::VerifierModes()),
                         kemu::testing::MachineName());

TEST_P(WaitAtDispatchTest, IsCaughtEvenWhenTheEventIsSignaled) {
  AddNic();
  ASSERT_THAT(Start(NicDriverBugWaitAtDispatch), StatusIs(STATUS_SUCCESS));
  nic_.ReceiveFrames(1);

  // Driver Verifier's IRQL checks (Vista on) give 0xC4; before them, and on a checked kernel, the
  // kernel's own 0xA IRQL_NOT_LESS_OR_EQUAL with the IRQL in Arg2.
  if (verifier() && machine().personality().verifier_irql_api_checks) {
    EXPECT_BUGCHECK(Stop(), bugcheck::kDriverVerifierDetectedViolation);
  } else {
    EXPECT_THAT([&] { Stop(); },
                Throws<kemu::BugCheck>(AllOf(BugCheckIs(bugcheck::kIrqlNotLessOrEqual),
                                             ResultOf("Arg2 (IRQL)", Arg(1), DISPATCH_LEVEL))));
  }
}

// A retail kernel checks nothing: the bug hides while the event is signaled.
class WaitAtDispatchRetailTest : public RetailNicTest {};

INSTANTIATE_TEST_SUITE_P(AllWindows, WaitAtDispatchRetailTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

TEST_P(WaitAtDispatchRetailTest, ASignaledEventLetsTheWaitThrough) {
  AddNic();
  ASSERT_THAT(Start(NicDriverBugWaitAtDispatch), StatusIs(STATUS_SUCCESS));
  nic_.ReceiveFrames(1);
  Stop();  // nothing to wait for: Windows never notices either
  EXPECT_FALSE(machine().crashed());
}

TEST_P(WaitAtDispatchRetailTest, ItCrashesWhenTheWaitMustBlock) {
  AddNic();
  ASSERT_THAT(Start(NicDriverBugWaitAtDispatch), StatusIs(STATUS_SUCCESS));
  nic_.SetLink(false);  // the link report is queued and has not run
  // The thread would have to be switched out at DISPATCH_LEVEL.
  EXPECT_BUGCHECK(Stop(), bugcheck::kIrqlNotLessOrEqual);
}

}  // namespace
