// Recording driver writes for Outcome::observations.
#include "scenario/run/recording_hardware.hpp"

#include <fmt/format.h>

namespace kemu::scenario::internal {

std::string FormatWrite(const std::string& device, Space space, std::uint32_t offset,
                        unsigned width, std::uint64_t value) {
  return fmt::format("write {} {} {:#05x}/{} = {:#0{}x}", device,
                     space == Space::kMemory ? "mem" : "port", offset, width, value, width * 2 + 2);
}

std::uint64_t RecordingHardware::Read(Space space, std::uint32_t offset, unsigned width) {
  return inner_.Read(space, offset, width);
}

void RecordingHardware::Write(Space space, std::uint32_t offset, unsigned width,
                              std::uint64_t value) {
  // Recorded before forwarding: a write the model rejects (kemu::Error) was still attempted.
  log_.push_back(FormatWrite(device_, space, offset, width, value));
  inner_.Write(space, offset, width, value);
}

void RecordingHardware::Attach(Device& device) { inner_.Attach(device); }

}  // namespace kemu::scenario::internal
