// nic_test.hpp — what the NIC example's test suites share: a fixture that owns the card, the
// driver's extension and the driver build under test, on top of a kemu::gtest machine fixture.
//
//   class MyNicTest : public kemu_example::NicTest<kemu::testing::PersonalityTest> {};
//   TEST_P(MyNicTest, ReceivesAFrame) {
//     AddNic();                                  // nic_.Config(): line, 4 MSI messages, BAR
//     ASSERT_THAT(Start(), StatusIs(STATUS_SUCCESS));
//     nic_.ReceiveFrames(1);                     // interrupt: ISR, then DPC
//     EXPECT_EQ(Statistics().FramesReceived, 1u);
//   }                                            // TearDown stops the driver, then checks leaks
#ifndef KEMU_EXAMPLES_NIC_NIC_TEST_HPP_
#define KEMU_EXAMPLES_NIC_NIC_TEST_HPP_

#include <utility>

#include "driver/nic_driver.h"
#include "kemu/kemu.hpp"
#include "kemu/testing/gtest.hpp"
#include "nic_device.hpp"

namespace kemu_example {

/// `Fixture` is kemu::testing::PersonalityTest or kemu::testing::MachineTest.
template <typename Fixture>
class NicTest : public Fixture {
 protected:
  void TearDown() override {
    // A failed assertion can leave the driver started; stop it so that the fixture's leak check
    // reports the failure that matters, not its consequences. A crashed machine runs no more
    // driver code (and the fixture skips its leak check).
    if (started() && !this->machine().crashed()) driver_->StopDevice(&extension_);
    Fixture::TearDown();  // Machine::Shutdown(): any leak fails the test; then the machine goes
  }

  /// Adds the card to the machine: nic_.Config(), or a variation of it.
  kemu::Device& AddNic() { return AddNic(nic_.Config()); }
  kemu::Device& AddNic(kemu::DeviceConfig config) {
    device_ = &this->machine().AddDevice(std::move(config));
    return *device_;
  }

  /// IRP_MN_START_DEVICE with the device's resources, for `driver` (a NIC_DRIVER table).
  NTSTATUS Start(const NIC_DRIVER& driver = NicDriver) {
    driver_ = &driver;
    return driver.StartDevice(&extension_, device_->pdo(), device_->raw_resources(),
                              device_->translated_resources());
  }
  void Stop() { driver_->StopDevice(&extension_); }
  bool started() const { return extension_.ConnectVersion != 0; }

  NIC_STATISTICS Statistics() {
    NIC_STATISTICS statistics{};
    driver_->GetStatistics(&extension_, &statistics);
    return statistics;
  }

  /// The kernel accepts CONNECT_MESSAGE_BASED (Vista+): read from the personality's data, not
  /// from a list of Windows versions. Without it only Iointex.lib's CONNECT_FULLY_SPECIFIED exists.
  bool KernelOffersMessageBased() {
    return (this->machine().personality().connect_versions &
            kemu::ConnectVersionBit(CONNECT_MESSAGE_BASED)) != 0;
  }

  // The fixture's machine is destroyed in TearDown, before these members: the card (which kemu
  // requires to outlive the machine) and the extension stay valid as long as the machine does.
  NicDevice nic_;
  NIC_EXTENSION extension_{};
  kemu::Device* device_ = nullptr;
  const NIC_DRIVER* driver_ = &NicDriver;
};

}  // namespace kemu_example

#endif  // KEMU_EXAMPLES_NIC_NIC_TEST_HPP_
