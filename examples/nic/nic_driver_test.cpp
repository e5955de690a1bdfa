// Tests of the example NIC driver (driver/nic_driver.c) on every Windows personality, written as a
// tour of kemu::gtest: PersonalityTest over AllOs(), IrqlIs and StatusIs, fault injection, MSI
// granted, cut down or withheld, and a StrictMock register sequence. Interrupts at awkward moments
// and the MachineTest axes are in nic_driver_concurrency_test.cpp, the buggy builds in
// nic_driver_bugs_test.cpp.
//
// Run the binary (kemu_nic_example_test) with GoogleTest's flags, e.g. --gtest_filter='*NoAck*'.
// A test that fails on a bug check ends with "kemu: bug check 0x.., seed N (replay with
// KEMU_SEED=N)" (the listener kemu::gtest_main installs); KEMU_SEED=N or --kemu_seed=N replays it.
#include <cstdint>
#include <cstdio>
#include <string>

#include "kemu/kemu.hpp"
#include "kemu/testing/gtest.hpp"
#include "kemu_example_nic_driver_imports.hpp"
#include "nic_device.hpp"
#include "nic_test.hpp"

namespace {

using ::kemu::testing::IrqlIs;
using ::kemu::testing::StatusIs;
using ::kemu_example::kNicFrameBytes;
using ::kemu_example::kNicLine;
using ::kemu_example::NicTest;
using ::testing::InvokeWithoutArgs;
using ::testing::Return;

constexpr auto kMemory = kemu::Space::kMemory;

class NicDriverTest : public NicTest<kemu::testing::PersonalityTest> {
 protected:
  // What the documentation promises for a card the PnP manager granted `messages`, from the
  // personality's data: Iointex.lib's CONNECT_FULLY_SPECIFIED where the kernel knows nothing
  // newer, else messages when granted, else the fallback line ISR.
  ULONG ExpectedVersion(unsigned messages) {
    if (!KernelOffersMessageBased()) return CONNECT_FULLY_SPECIFIED;
    return messages > 0 ? CONNECT_MESSAGE_BASED : CONNECT_LINE_BASED;
  }
};

INSTANTIATE_TEST_SUITE_P(AllWindows, NicDriverTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

// ---------------------------------------------------------------------------------------------
// Load, start, receive, stop.

// Windows' loader resolves every import before DriverEntry; kemu_check_imports took the list
// from the driver library at build time.
TEST_P(NicDriverTest, LoadsOnEveryWindows) {
  EXPECT_NO_THROW(machine().LoadDriver(kNicDriverImports));
  EXPECT_THAT(kNicDriverImports.routines, ::testing::Contains("IoConnectInterruptEx").Times(0))
      << "an XP build reaches it through Iointex.lib";
  EXPECT_THAT(kNicDriverImports.routines, ::testing::Contains("WdmlibIoConnectInterruptEx"));
  EXPECT_THAT(kNicDriverImports.routines, ::testing::Contains("KeFlushQueuedDpcs").Times(0))
      << "looked up with MmGetSystemRoutineAddress, so not an import";
}

TEST(NicDriverImportsTest, TheLoadabilityLineNamesEveryRelease) {
  const std::string line = kemu::DescribeLoadability(kNicDriverImports);
  std::printf("%s\n", line.c_str());  // in the test log, as the build prints it
  EXPECT_EQ(line,
            "kemu_example_nic_driver loads on: win2000 xp ws2003 vista win7 win8 win8.1 win10 "
            "win11");
}

// ---------------------------------------------------------------------------------------------
// Start, receive, stop.

TEST_P(NicDriverTest, StartsReceivesAndStopsOnEveryWindows) {
  kemu::Device& device = AddNic();
  ASSERT_THAT(Start(), StatusIs(STATUS_SUCCESS));

  const kemu::Personality& personality = machine().personality();
  const ULONG expected = !KernelOffersMessageBased() ? CONNECT_FULLY_SPECIFIED
                         : personality.supports_msi  ? CONNECT_MESSAGE_BASED
                                                     : CONNECT_LINE_BASED;
  ASSERT_NE(device.connection(), nullptr);
  EXPECT_EQ(device.connection()->version, expected);
  EXPECT_EQ(extension_.ConnectVersion, expected);
  // Before Vista the first attempt fails with Iointex.lib's (undocumented) status, which
  // kemu keeps in the personality; from Vista on it succeeds.
  EXPECT_THAT(extension_.FirstAttemptStatus,
              StatusIs(KernelOffersMessageBased() ? STATUS_SUCCESS : personality.iointex_status));
  EXPECT_EQ(nic_.interrupt_mask(), NIC_INT_ALL);

  nic_.ReceiveFrames(3);  // three interrupts; each ISR's DPC runs as the IRQL drops
  const NIC_STATISTICS stats = Statistics();
  EXPECT_EQ(stats.Interrupts, 3u);
  EXPECT_EQ(stats.Dpcs, 3u);
  EXPECT_EQ(stats.FramesReceived, 3u);
  EXPECT_EQ(stats.BytesReceived, 3u * kNicFrameBytes);
  EXPECT_EQ(device.connection()->isr_claimed, 3u);
  EXPECT_EQ(nic_.causes(), 0u);  // every cause acknowledged
  EXPECT_EQ(nic_.rx_head(), nic_.rx_tail());

  Stop();
  EXPECT_EQ(device.connection(), nullptr);
  EXPECT_EQ(nic_.interrupt_mask(), 0u);
  EXPECT_EQ(extension_.Registers, nullptr);  // unmapped: Shutdown would call a mapping a leak
}

TEST_P(NicDriverTest, IsrRunsAtDirqlAndDpcAtDispatchLevel) {
  AddNic();
  ASSERT_THAT(Start(), StatusIs(STATUS_SUCCESS));
  nic_.ReceiveFrames(1);

  const KIRQL dirql = device_->connection()->synchronize_irql;
  if (!extension_.MessageUsed) {
    EXPECT_THAT(dirql, IrqlIs(kNicLine.irql));
  }
  EXPECT_GT(dirql, DISPATCH_LEVEL);
  EXPECT_THAT(extension_.LastIsrIrql, IrqlIs(dirql));
  EXPECT_THAT(extension_.LastDpcIrql, IrqlIs(DISPATCH_LEVEL));
  // KeSynchronizeExecution raised the DPC to the interrupt's SynchronizeIrql for NicTakeCauses.
  EXPECT_THAT(extension_.LastSynchronizeIrql, IrqlIs(dirql));
  EXPECT_THAT(machine().CurrentIrql(), IrqlIs(PASSIVE_LEVEL));
}

TEST_P(NicDriverTest, WithheldMsiFallsBackToTheLineAndStillWorks) {
  kemu::DeviceConfig config = nic_.Config();
  config.withhold_msi = true;  // the PnP manager grants only the line, even on Vista+
  kemu::Device& device = AddNic(config);
  ASSERT_THAT(Start(), StatusIs(STATUS_SUCCESS));

  EXPECT_EQ(device.granted_messages(), 0u);
  EXPECT_EQ(extension_.ConnectVersion, ExpectedVersion(0));
  EXPECT_FALSE(extension_.MessageUsed);
  nic_.ReceiveFrames(3);
  EXPECT_EQ(Statistics().FramesReceived, 3u);
  EXPECT_FALSE(device.line_asserted());  // the ISR's write-1-to-clear dropped the level line
}

TEST_P(NicDriverTest, OneGrantedMessageIsEnough) {
  kemu::DeviceConfig config = nic_.Config();
  config.grant_messages = 1;  // asked for 4; the PnP manager could spare one
  kemu::Device& device = AddNic(config);
  ASSERT_THAT(Start(), StatusIs(STATUS_SUCCESS));

  EXPECT_EQ(extension_.ConnectVersion, ExpectedVersion(device.granted_messages()));
  if (extension_.MessageUsed) {
    EXPECT_EQ(device.connection()->message_count, 1u);
  }
  nic_.ReceiveFrames(3);
  EXPECT_EQ(Statistics().FramesReceived, 3u);
}

// ---------------------------------------------------------------------------------------------
// Failures: the exact status, and nothing left behind.

TEST_P(NicDriverTest, ConnectFailureIsReturnedAndStartLeavesNothingBehind) {
  AddNic();
  // The XP-built driver calls Iointex.lib's WdmlibIoConnectInterruptEx. Where the kernel accepts
  // CONNECT_MESSAGE_BASED the first call is the one that can fail for real; before Vista the
  // first call's refusal is the documented fallback signal, so make the retry fail instead.
  machine().InjectFault({.routine = "WdmlibIoConnectInterruptEx",
                         .status = STATUS_INSUFFICIENT_RESOURCES,
                         .nth = KernelOffersMessageBased() ? 1u : 2u});

  EXPECT_THAT(Start(), StatusIs(STATUS_INSUFFICIENT_RESOURCES));
  EXPECT_EQ(device_->connection(), nullptr);
  EXPECT_EQ(extension_.ConnectVersion, 0u);
  EXPECT_EQ(extension_.Registers, nullptr);  // the BAR was unmapped again
  EXPECT_EQ(nic_.resets(), 1u);
  EXPECT_EQ(nic_.interrupt_mask(), 0u);   // never enabled: nothing was connected to take them
  EXPECT_NO_THROW(machine().Shutdown());  // nothing mapped, connected, queued or held
}

TEST_P(NicDriverTest, MappingFailureIsInsufficientResources) {
  AddNic();
  machine().InjectFault({.routine = "MmMapIoSpace"});  // returns NULL; the status is unused

  EXPECT_THAT(Start(), StatusIs(STATUS_INSUFFICIENT_RESOURCES));
  EXPECT_EQ(device_->connection(), nullptr);
  EXPECT_EQ(nic_.resets(), 0u);  // the card was never touched
}

TEST_P(NicDriverTest, StartWithoutABarOrInterruptIsRefused) {
  kemu::Device& no_bar = machine().AddDevice({.name = "nic-no-bar", .line = kNicLine});
  EXPECT_THAT(NicStartDevice(&extension_, no_bar.pdo(), no_bar.raw_resources(),
                             no_bar.translated_resources()),
              StatusIs(STATUS_INSUFFICIENT_RESOURCES));
  // PNP-1: a device started without resources gets NULL lists.
  EXPECT_THAT(NicStartDevice(&extension_, no_bar.pdo(), nullptr, nullptr),
              StatusIs(STATUS_INSUFFICIENT_RESOURCES));
  EXPECT_EQ(no_bar.connection(), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Receive buffers from pool, and the link report a work item makes at PASSIVE_LEVEL.

TEST_P(NicDriverTest, ReceiveBuffersComeFromNonPagedPoolAndAreFreedOnStop) {
  AddNic();
  ASSERT_THAT(Start(), StatusIs(STATUS_SUCCESS));
  EXPECT_EQ(machine().pool_allocations(), 1u);
  const ULONG first = extension_.RxHead;

  nic_.ReceiveFrames(2, 100);
  ASSERT_NE(extension_.RxBuffers, nullptr);
  // The DPC copied each descriptor into the slot's buffer before handing the slot back.
  EXPECT_EQ(extension_.RxBuffers[first].Length, 100u);
  EXPECT_EQ(extension_.RxBuffers[first].Sequence, 1u);
  EXPECT_EQ(extension_.RxBuffers[(first + 1) % NIC_RX_RING_SIZE].Sequence, 2u);

  Stop();
  EXPECT_EQ(extension_.RxBuffers, nullptr);
  EXPECT_EQ(machine().pool_allocations(), 0u);
}

TEST_P(NicDriverTest, OutOfPoolTheStartFailsAndLeavesNothingBehind) {
  AddNic();
  // Driver Verifier's low-resources simulation, narrowed to the driver's tag.
  machine().InjectFault({.routine = "ExAllocatePoolWithTag", .tag = NIC_POOL_TAG});

  EXPECT_THAT(Start(), StatusIs(STATUS_INSUFFICIENT_RESOURCES));
  EXPECT_EQ(extension_.Registers, nullptr);  // the BAR was unmapped again
  EXPECT_EQ(device_->connection(), nullptr);
  EXPECT_EQ(nic_.resets(), 0u);
  EXPECT_NO_THROW(machine().Shutdown());  // nothing mapped, allocated or connected
}

TEST_P(NicDriverTest, WithoutAWorkItemTheStartFailsAndFreesItsBuffers) {
  AddNic();
  machine().InjectFault({.routine = "IoAllocateWorkItem"});

  EXPECT_THAT(Start(), StatusIs(STATUS_INSUFFICIENT_RESOURCES));
  EXPECT_EQ(extension_.RxBuffers, nullptr);
  EXPECT_EQ(machine().pool_allocations(), 0u);
  EXPECT_NO_THROW(machine().Shutdown());
}

TEST_P(NicDriverTest, ALinkChangeIsReportedAtPassiveLevelByAWorkItem) {
  AddNic();
  ASSERT_THAT(Start(), StatusIs(STATUS_SUCCESS));

  nic_.SetLink(false);
  // The DPC has run and queued the report; a worker thread has not picked it up yet.
  EXPECT_EQ(extension_.Statistics.LinkChanges, 1u);
  EXPECT_EQ(extension_.Statistics.LinkReports, 0u);
  EXPECT_TRUE(extension_.LinkReportQueued);

  machine().Settle();  // the system worker threads run
  EXPECT_EQ(extension_.Statistics.LinkReports, 1u);
  EXPECT_EQ(extension_.LastLinkReportIrql, PASSIVE_LEVEL);
  EXPECT_FALSE(extension_.LinkReportQueued);
  EXPECT_THAT(machine().debug_output(), ::testing::HasSubstr("nic: link down\n"));
}

TEST_P(NicDriverTest, StopWaitsOnTheEventForALinkReportStillQueued) {
  AddNic();
  ASSERT_THAT(Start(), StatusIs(STATUS_SUCCESS));
  nic_.SetLink(true);
  ASSERT_TRUE(extension_.LinkReportQueued);

  // KeWaitForSingleObject blocks until the worker has run the report (and set the event): the
  // work item and the extension outlive it.
  Stop();
  EXPECT_EQ(extension_.Statistics.LinkReports, 1u);
  EXPECT_EQ(extension_.LinkWorkItem, nullptr);
  EXPECT_NO_THROW(machine().Shutdown());
}

// ---------------------------------------------------------------------------------------------
// The exact register sequence, with a StrictMock: any other access fails the test.

class NicRegisterSequenceTest : public NicDriverTest {
 protected:
  ::testing::StrictMock<kemu::testing::MockRegisters> regs_;  // outlives the machine
};

INSTANTIATE_TEST_SUITE_P(AllWindows, NicRegisterSequenceTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

TEST_P(NicRegisterSequenceTest, ResetBeforeConnectingEnableAfterDisableBeforeDisconnecting) {
  kemu::DeviceConfig config = nic_.Config();
  config.hardware = &regs_;
  kemu::Device& device = AddNic(config);
  auto connected = [&device] { return device.connection() != nullptr; };
  {
    ::testing::InSequence in_order;
    EXPECT_CALL(regs_, Write(kMemory, NIC_REG_CTRL, 4, NIC_CTRL_RESET))
        .WillOnce(InvokeWithoutArgs([&] { EXPECT_FALSE(connected()); }));
    EXPECT_CALL(regs_, Read(kMemory, NIC_REG_CTRL, 4))
        .WillOnce(Return(NIC_CTRL_RESET))  // still resetting: the driver stalls and polls again
        .WillOnce(Return(0));
    EXPECT_CALL(regs_, Read(kMemory, NIC_REG_RX_TAIL, 4)).WillOnce(Return(5));
    EXPECT_CALL(regs_, Write(kMemory, NIC_REG_RX_HEAD, 4, 5));  // the ring starts empty
    // Interrupts are enabled in the card only once an ISR is connected to take them.
    EXPECT_CALL(regs_, Write(kMemory, NIC_REG_IMR, 4, NIC_INT_ALL)).WillOnce(InvokeWithoutArgs([&] {
      EXPECT_TRUE(connected());
    }));
    EXPECT_CALL(regs_, Write(kMemory, NIC_REG_CTRL, 4, NIC_CTRL_INT_ENABLE | NIC_CTRL_RX_ENABLE));
  }
  const std::uint64_t before = machine().InterruptTime();
  ASSERT_THAT(Start(), StatusIs(STATUS_SUCCESS));
  EXPECT_EQ(machine().InterruptTime() - before, 100u);  // one 10 us KeStallExecutionProcessor
  ::testing::Mock::VerifyAndClearExpectations(&regs_);

  {
    ::testing::InSequence in_order;
    // Quiet the card while the ISR is still connected, so a shared line cannot storm.
    EXPECT_CALL(regs_, Write(kMemory, NIC_REG_CTRL, 4, 0)).WillOnce(InvokeWithoutArgs([&] {
      EXPECT_TRUE(connected());
    }));
    EXPECT_CALL(regs_, Write(kMemory, NIC_REG_IMR, 4, 0));
  }
  Stop();
  EXPECT_FALSE(connected());
}

}  // namespace
