// Tests of the XP-built fallback driver on every Windows personality: how it connects (EX-2, EX-4,
// EX-8), where its ISR and DPC run, and that stopping it leaves nothing behind (EX-6, DPC-11).
#include "driver/fallback_driver.h"

#include <optional>

#include "kemu/kemu.hpp"
#include "kemu/testing/gtest.hpp"
#include "nic_double.hpp"

namespace {

using kemu_example::NicDouble;

constexpr kemu::LineInterrupt kNicLine{
    .vector = 0x51, .irql = 5, .mode = kemu::Trigger::kLevel, .shared = true};
constexpr unsigned kNicMessages = 4;

class FallbackDriverTest : public kemu::testing::PersonalityTest {
 protected:
  void TearDown() override {
    // A failed assertion can leave the driver connected; stop it so that the fixture's leak check
    // reports the failure that matters, not its consequences.
    if (extension_.ConnectVersion != 0 && !machine().crashed()) FallbackStopDevice(&extension_);
    if (nic_) nic_->Quiesce();
    kemu::testing::PersonalityTest::TearDown();
  }

  kemu::Device& AddNic(unsigned messages) {
    kemu::Device& device =
        machine().AddDevice({.name = "nic0", .line = kNicLine, .messages = messages});
    nic_.emplace(device);
    FallbackInitializeExtension(&extension_, &NicDouble::Acknowledge, &*nic_);
    return device;
  }

  NTSTATUS Start(kemu::Device& device) {
    return FallbackStartDevice(&extension_, device.pdo(), device.translated_resources());
  }

  // Whether the kernel accepts CONNECT_MESSAGE_BASED (Vista+); without it only Iointex.lib's
  // CONNECT_FULLY_SPECIFIED exists.
  bool OffersMessageBased() {
    return (machine().personality().connect_versions &
            kemu::ConnectVersionBit(CONNECT_MESSAGE_BASED)) != 0;
  }

  // One interrupt the way the device raises it for the connection the driver made.
  void RaiseOneInterrupt() {
    nic_->RaiseInterrupt(extension_.MessageUsed != FALSE);
    machine().RunPendingDpcs();
  }

  // The DPC's counters are volatile (interlocked); read them as plain values for the matchers.
  LONG dpc_count() const { return extension_.DpcCount; }
  LONG events_handled() const { return extension_.EventsHandled; }

  FALLBACK_DEVICE_EXTENSION extension_{};
  std::optional<NicDouble> nic_;
};

// EX-2, EX-4, EX-8: the documented fallback on an MSI-capable device.
TEST_P(FallbackDriverTest, MsiCapableDeviceGetsTheBestConnectionTheOsOffers) {
  kemu::Device& device = AddNic(kNicMessages);
  ASSERT_EQ(Start(device), STATUS_SUCCESS);

  if (OffersMessageBased()) {
    EXPECT_EQ(extension_.FirstAttemptStatus, STATUS_SUCCESS);
    EXPECT_EQ(extension_.ConnectVersion, ULONG{CONNECT_MESSAGE_BASED});
    EXPECT_TRUE(extension_.MessageUsed);
    ASSERT_NE(extension_.ConnectionContext.InterruptMessageTable, nullptr);
    EXPECT_EQ(extension_.ConnectionContext.InterruptMessageTable->MessageCount,
              device.granted_messages());
  } else {
    // The exact status Iointex.lib returns is undocumented; only "an error" is promised.
    EXPECT_FALSE(NT_SUCCESS(extension_.FirstAttemptStatus));
    EXPECT_EQ(extension_.ConnectVersion, ULONG{CONNECT_FULLY_SPECIFIED});
    EXPECT_FALSE(extension_.MessageUsed);
    EXPECT_NE(extension_.ConnectionContext.InterruptObject, nullptr);
  }
  ASSERT_NE(device.connection(), nullptr);
  EXPECT_EQ(device.connection()->version, extension_.ConnectVersion);
}

// EX-4: without messages, Vista+ registers the fallback routine as a line ISR and says so.
TEST_P(FallbackDriverTest, DeviceWithoutMessagesConnectsItsLine) {
  kemu::Device& device = AddNic(0);
  ASSERT_EQ(Start(device), STATUS_SUCCESS);

  const ULONG expected = OffersMessageBased() ? CONNECT_LINE_BASED : CONNECT_FULLY_SPECIFIED;
  EXPECT_EQ(extension_.ConnectVersion, expected);
  EXPECT_EQ(NT_SUCCESS(extension_.FirstAttemptStatus), OffersMessageBased());
  EXPECT_FALSE(extension_.MessageUsed);
  EXPECT_NE(extension_.ConnectionContext.InterruptObject, nullptr);
  ASSERT_NE(device.connection(), nullptr);
  EXPECT_EQ(device.connection()->version, expected);
  EXPECT_EQ(device.connection()->message_count, 0u);
}

TEST_P(FallbackDriverTest, IsrRunsAtTheDeviceDirqlAndDpcAtDispatchLevel) {
  kemu::Device& device = AddNic(kNicMessages);
  ASSERT_EQ(Start(device), STATUS_SUCCESS);
  RaiseOneInterrupt();

  ASSERT_EQ(extension_.InterruptsClaimed, 1u);
  const KIRQL dirql = extension_.MessageUsed
                          ? extension_.ConnectionContext.InterruptMessageTable->UnifiedIrql
                          : kNicLine.irql;
  EXPECT_EQ(extension_.LastIsrIrql, dirql);
  EXPECT_EQ(extension_.LastIsrIrql, device.connection()->synchronize_irql);
  EXPECT_GT(extension_.LastIsrIrql, DISPATCH_LEVEL);
  EXPECT_EQ(extension_.LastMessageId, extension_.MessageUsed ? 0u : FALLBACK_LINE_INTERRUPT);
  EXPECT_EQ(dpc_count(), 1);
  EXPECT_EQ(extension_.LastDpcIrql, DISPATCH_LEVEL);
  EXPECT_EQ(events_handled(), 1);  // handed over through KeSynchronizeExecution
  EXPECT_EQ(machine().CurrentIrql(), PASSIVE_LEVEL);
  EXPECT_EQ(device.connection()->isr_calls, 1u);
  EXPECT_EQ(device.connection()->dpcs_requested, 1u);
}

TEST_P(FallbackDriverTest, LineIsrRunsAtTheLineDirql) {
  kemu::Device& device = AddNic(0);
  ASSERT_EQ(Start(device), STATUS_SUCCESS);
  RaiseOneInterrupt();

  EXPECT_EQ(extension_.InterruptsClaimed, 1u);
  EXPECT_EQ(extension_.LastIsrIrql, kNicLine.irql);
  EXPECT_EQ(extension_.LastDpcIrql, DISPATCH_LEVEL);
  EXPECT_EQ(dpc_count(), 1);
  EXPECT_FALSE(device.line_asserted());  // the ISR acknowledged the device
}

// DPC-12: the DPC is initialised before connecting, so an interrupt already pending when the ISR
// goes live is serviced at once, before the driver has stored what connect returned.
TEST_P(FallbackDriverTest, LineAssertedBeforeStartIsServicedOnConnect) {
  kemu::Device& device = AddNic(0);
  nic_->RaiseInterrupt(/*as_message=*/false);
  ASSERT_EQ(Start(device), STATUS_SUCCESS);
  machine().RunPendingDpcs();

  EXPECT_EQ(extension_.InterruptsClaimed, 1u);
  EXPECT_EQ(dpc_count(), 1);
  EXPECT_EQ(events_handled(), 1);
  EXPECT_FALSE(device.line_asserted());
}

// EX-6, DPC-11: disconnect with the returned version; on Windows 2000 KeFlushQueuedDpcs is only
// looked up, never called (a direct call would stop the run with kemu::MissingExport).
TEST_P(FallbackDriverTest, StopDisconnectsAndLeavesNothingBehind) {
  kemu::Device& device = AddNic(kNicMessages);
  ASSERT_EQ(Start(device), STATUS_SUCCESS);
  RaiseOneInterrupt();

  FallbackStopDevice(&extension_);
  EXPECT_EQ(device.connection(), nullptr);
  EXPECT_EQ(extension_.ConnectVersion, 0u);
  EXPECT_NO_THROW(machine().Shutdown());
}

TEST_P(FallbackDriverTest, InterruptAfterStopIsNotServiced) {
  kemu::Device& device = AddNic(kNicMessages);
  ASSERT_EQ(Start(device), STATUS_SUCCESS);
  const bool message_used = extension_.MessageUsed != FALSE;
  RaiseOneInterrupt();
  FallbackStopDevice(&extension_);

  nic_->RaiseInterrupt(message_used);
  machine().RunPendingDpcs();
  EXPECT_EQ(extension_.IsrCalls, 1u);
  EXPECT_EQ(extension_.InterruptsClaimed, 1u);
  EXPECT_EQ(dpc_count(), 1);
  EXPECT_TRUE(nic_->status_pending());  // nobody read the status register
  nic_->Quiesce();
}

// PNP-1: started without resources (NULL lists) or without an interrupt, the driver refuses.
TEST_P(FallbackDriverTest, StartWithoutAnInterruptFailsWithInsufficientResources) {
  kemu::Device& bare = machine().AddDevice({.name = "bare", .line = std::nullopt});
  FallbackInitializeExtension(&extension_, &NicDouble::Acknowledge, nullptr);

  EXPECT_EQ(FallbackStartDevice(&extension_, bare.pdo(), nullptr), STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(FallbackStartDevice(&extension_, bare.pdo(), bare.translated_resources()),
            STATUS_INSUFFICIENT_RESOURCES);
  EXPECT_EQ(extension_.ConnectVersion, 0u);
  EXPECT_EQ(bare.connection(), nullptr);
}

TEST(FallbackConnectVersionNameTest, NamesEveryVersion) {
  EXPECT_STREQ(FallbackConnectVersionName(0), "none");
  EXPECT_STREQ(FallbackConnectVersionName(CONNECT_FULLY_SPECIFIED), "CONNECT_FULLY_SPECIFIED");
  EXPECT_STREQ(FallbackConnectVersionName(CONNECT_LINE_BASED), "CONNECT_LINE_BASED");
  EXPECT_STREQ(FallbackConnectVersionName(CONNECT_MESSAGE_BASED), "CONNECT_MESSAGE_BASED");
  EXPECT_STREQ(FallbackConnectVersionName(CONNECT_FULLY_SPECIFIED_GROUP),
               "CONNECT_FULLY_SPECIFIED_GROUP");
  EXPECT_STREQ(FallbackConnectVersionName(CONNECT_MESSAGE_BASED_PASSIVE),
               "CONNECT_MESSAGE_BASED_PASSIVE");
  EXPECT_STREQ(FallbackConnectVersionName(42), "CONNECT_(unknown)");
}

INSTANTIATE_TEST_SUITE_P(AllWindows, FallbackDriverTest, kemu::testing::AllOs(),
                         kemu::testing::OsName());

}  // namespace
