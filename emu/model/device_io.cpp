#include "model/device_io.hpp"

#include <algorithm>
#include <string>

#include "kemu/error.hpp"
#include "model/devices.hpp"

namespace kemu::model {
namespace {

void CheckFits(const DeviceConfig& config) {
  if (config.memory_bytes > DeviceIo::kMemoryStride) {
    throw Error("kemu: device '" + config.name +
                "': memory_bytes must be at most 0x100000 (1 MiB) "
                "so BARs do not overlap, got " +
                std::to_string(config.memory_bytes));
  }
  if (config.port_bytes > DeviceIo::kPortStride) {
    throw Error("kemu: device '" + config.name + "': port_bytes must be at most 256, got " +
                std::to_string(config.port_bytes));
  }
}

}  // namespace

void GrantIoResources(DeviceState& device, std::vector<CM_PARTIAL_RESOURCE_DESCRIPTOR>& raw,
                      std::vector<CM_PARTIAL_RESOURCE_DESCRIPTOR>& translated) {
  const DeviceConfig& config = device.config;
  CheckFits(config);
  DeviceIo& io = device.io;
  if (config.memory_bytes > 0) {
    io.memory_base = DeviceIo::kMemoryWindow + device.index * DeviceIo::kMemoryStride;
    io.memory_bytes = config.memory_bytes;
    CM_PARTIAL_RESOURCE_DESCRIPTOR d{};
    d.Type = CmResourceTypeMemory;
    d.ShareDisposition = CmResourceShareDeviceExclusive;
    d.Flags = CM_RESOURCE_MEMORY_READ_WRITE;
    d.u.Memory.Start.QuadPart = static_cast<LONGLONG>(io.memory_base);
    d.u.Memory.Length = io.memory_bytes;
    // x64 has one physical address space: the bus address is the CPU's, so raw == translated.
    raw.push_back(d);
    translated.push_back(d);
  }
  if (config.port_bytes > 0) {
    io.port_base = DeviceIo::kPortWindow + device.index * DeviceIo::kPortStride;
    io.port_bytes = config.port_bytes;
    CM_PARTIAL_RESOURCE_DESCRIPTOR d{};
    d.Type = CmResourceTypePort;
    d.ShareDisposition = CmResourceShareDeviceExclusive;
    d.Flags = CM_RESOURCE_PORT_IO;
    d.u.Port.Start.QuadPart = io.port_base;
    d.u.Port.Length = io.port_bytes;
    // Ports stay ports after translation on x64 (no port-to-memory mapping as on some buses).
    raw.push_back(d);
    translated.push_back(d);
  }
}

void AttachHardware(DeviceState& device) {
  DeviceIo& io = device.io;
  io.hardware = device.config.hardware;
  if (io.hardware == nullptr && (io.memory_bytes > 0 || io.port_bytes > 0)) {
    io.owned = std::make_unique<RegisterFile>(std::max(io.memory_bytes, io.port_bytes));
    io.hardware = io.owned.get();
  }
  if (io.hardware != nullptr) io.hardware->Attach(*device.facade);
}

}  // namespace kemu::model
