// A Hardware decorator that records every driver write as an observation line, so a scenario's
// --diff shows what the driver did to its device on each personality.
#ifndef KEMU_EMU_SCENARIO_RUN_RECORDING_HARDWARE_HPP_
#define KEMU_EMU_SCENARIO_RUN_RECORDING_HARDWARE_HPP_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kemu/device.hpp"
#include "kemu/hardware.hpp"

namespace kemu::scenario::internal {

class RecordingHardware : public Hardware {
 public:
  /// Forwards to `inner` (not owned) and appends "write <device> mem 0x00c/4 = 0x00000007" lines
  /// to `log` (not owned; both must outlive this).
  RecordingHardware(std::string device, Hardware& inner, std::vector<std::string>& log)
      : device_(std::move(device)), inner_(inner), log_(log) {}

  std::uint64_t Read(Space space, std::uint32_t offset, unsigned width) override;
  void Write(Space space, std::uint32_t offset, unsigned width, std::uint64_t value) override;
  /// Forwarded, so a RegisterFile underneath still learns its device and can move its line.
  void Attach(Device& device) override;

 private:
  std::string device_;
  Hardware& inner_;
  std::vector<std::string>& log_;
};

/// "write nic0 mem 0x00c/4 = 0x00000007": the value with as many hex digits as the access has.
std::string FormatWrite(const std::string& device, Space space, std::uint32_t offset,
                        unsigned width, std::uint64_t value);

}  // namespace kemu::scenario::internal

#endif  // KEMU_EMU_SCENARIO_RUN_RECORDING_HARDWARE_HPP_
