// A tiny WDM driver and its scenario adapter, for the runner's tests.
//
// Registers (a 0x40-byte memory BAR): 0x00 INT_STATUS (write-1-to-clear; bit 0 is the interrupt
// cause), 0x04 CONTROL (1 while started), 0x08 DOORBELL (written by the `ring` action).
// Start connects with IoConnectInterruptEx(CONNECT_MESSAGE_BASED), falling back to
// CONNECT_LINE_BASED (Vista+, no messages) or CONNECT_FULLY_SPECIFIED (before Vista). The ISR
// claims while INT_STATUS bit 0 is set, acknowledges it and queues a DPC.
//
// Actions: ring {value}, read {offset} (sets probe last_read), leak (raises to DISPATCH_LEVEL and
// stays there), queue_dpc {processor} (KeSetTargetProcessorDpc + KeInsertQueueDpc).
// Probes: dpc_runs, isr_claims, last_read.
#ifndef KEMU_TESTS_SCENARIO_TEST_DRIVER_HPP_
#define KEMU_TESTS_SCENARIO_TEST_DRIVER_HPP_

#include <wdm.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kemu/hardware.hpp"
#include "kemu/scenario/driver_adapter.hpp"

namespace kemu::scenario::test {

inline constexpr std::uint32_t kIntStatus = 0x00;
inline constexpr std::uint32_t kControl = 0x04;
inline constexpr std::uint32_t kDoorbell = 0x08;
inline constexpr std::uint32_t kBarBytes = 0x40;

struct TestDriverOptions {
  /// The ISR acknowledges INT_STATUS; false makes a level line storm (0xF2).
  bool acknowledge = true;
  /// HardwareFor() returns the adapter's own RegisterFile with the layout above.
  bool own_hardware = false;
  /// Stop() calls KeFlushQueuedDpcs after disconnecting, as an unload does before freeing what
  /// its DPC uses.
  bool flush_at_stop = false;
};

/// The layout above as a scenario's `registers:` gives it.
RegisterSpec TestRegisters();

class TestAdapter : public DriverAdapter {
 public:
  explicit TestAdapter(TestDriverOptions options = {}) : options_(options) {}

  Hardware* HardwareFor(const DeviceConfig& config) override;
  NTSTATUS Start(Device& device) override;
  void Stop(Device& device) override;
  std::vector<ActionInfo> Actions() const override;
  void Act(const std::string& action, const ActionArgs& args, Device& device) override;
  std::vector<std::string> Probes() const override;
  std::int64_t Probe(const std::string& probe, Device& device) override;

 private:
  static BOOLEAN LineIsr(PKINTERRUPT interrupt, PVOID context);
  static BOOLEAN MessageIsr(PKINTERRUPT interrupt, PVOID context, ULONG message_id);
  static VOID Dpc(PKDPC dpc, PVOID context, PVOID argument1, PVOID argument2);
  BOOLEAN Service();
  NTSTATUS Connect(Device& device);
  volatile ULONG* Register(std::uint32_t offset) const;

  TestDriverOptions options_;
  std::vector<std::unique_ptr<RegisterFile>> hardware_;
  PUCHAR registers_ = nullptr;
  SIZE_T register_bytes_ = 0;
  ULONG version_ = 0;
  PVOID connection_ = nullptr;
  KSPIN_LOCK lock_ = 0;
  KDPC dpc_{};
  std::int64_t dpc_runs_ = 0;
  std::int64_t isr_claims_ = 0;
  std::int64_t last_read_ = -1;
};

AdapterFactory TestFactory(TestDriverOptions options = {});

}  // namespace kemu::scenario::test

#endif  // KEMU_TESTS_SCENARIO_TEST_DRIVER_HPP_
