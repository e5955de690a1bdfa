// kemu's built-in foreign driver: the ISR of another driver's device on the same machine, so a
// scenario can put the driver under test on a shared line with a neighbour.
#ifndef KEMU_EMU_SCENARIO_RUN_FOREIGN_DEVICE_HPP_
#define KEMU_EMU_SCENARIO_RUN_FOREIGN_DEVICE_HPP_

#include <wdm.h>

#include "kemu/device.hpp"

namespace kemu::scenario::internal {

/// Connects (CONNECT_FULLY_SPECIFIED) on the device's translated line resource. The ISR claims the
/// interrupt while its own device's line is asserted and acknowledges by deasserting it; it returns
/// FALSE otherwise, so the other ISRs on a shared line get their turn.
class ForeignDriver {
 public:
  explicit ForeignDriver(Device& device) : device_(device) {}
  ForeignDriver(const ForeignDriver&) = delete;
  ForeignDriver& operator=(const ForeignDriver&) = delete;

  /// Throws kemu::Error when the device was granted no line interrupt.
  void Connect();
  /// Disconnects, if connected. Call it with the machine still running.
  void Disconnect();
  bool connected() const { return interrupt_ != nullptr; }

 private:
  static BOOLEAN Isr(PKINTERRUPT interrupt, PVOID context);

  Device& device_;
  PKINTERRUPT interrupt_ = nullptr;
};

}  // namespace kemu::scenario::internal

#endif  // KEMU_EMU_SCENARIO_RUN_FOREIGN_DEVICE_HPP_
