// IoGetDeviceProperty: one PnP property of an emulated device's PDO (model/device_properties.hpp).
#include <wdm.h>

#include <cstring>

#include "abi/entry.hpp"
#include "model/device_properties.hpp"
#include "model/devices.hpp"
#include "model/output_range.hpp"

extern "C" {

NTSTATUS IoGetDeviceProperty(PDEVICE_OBJECT DeviceObject, DEVICE_REGISTRY_PROPERTY DeviceProperty,
                             ULONG BufferLength, PVOID PropertyBuffer, PULONG ResultLength) {
  static constexpr const char* kRoutine = "IoGetDeviceProperty";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(IoGetDeviceProperty, KEMU_ARG(DeviceObject), KEMU_ARG(DeviceProperty),
                 KEMU_ARG(BufferLength), KEMU_ARG(PropertyBuffer), KEMU_ARG(ResultLength));
  kemu::abi::AtMost(kernel, kRoutine, PASSIVE_LEVEL);
  const kemu::model::DeviceState* device = kernel.devices().FindByPdo(DeviceObject);
  if (device == nullptr) kernel.verifier().InvalidPdo(kRoutine, DeviceObject);
  // Read as the integer the driver passed: a C caller may pass any value as the enum.
  const auto property = static_cast<std::uint32_t>(kemu::abi::Arg(DeviceProperty));
  if (!kemu::model::KnownDeviceProperty(property)) return STATUS_INVALID_PARAMETER_2;
  kernel.verifier().Dereferenced(kRoutine, ResultLength, "ResultLength");
  const auto bytes = kemu::model::DevicePropertyBytes(*device, property);
  if (!bytes) {
    // Not documented for IoGetDeviceProperty (UNCONFIRMED): the status IoGetDevicePropertyData
    // documents for a property the device does not have.
    *ResultLength = 0;
    return STATUS_OBJECT_NAME_NOT_FOUND;
  }
  const auto size = static_cast<ULONG>(bytes->size());
  *ResultLength = size;
  if (BufferLength < size) return STATUS_BUFFER_TOO_SMALL;
  // A BufferLength past the driver's pool block is caught here, before kemu's copy runs past it
  // (audit round 17, X11).
  kemu::model::CheckOutputRange(kernel, kRoutine, "PropertyBuffer", PropertyBuffer, size);
  std::memcpy(PropertyBuffer, bytes->data(), size);
  return STATUS_SUCCESS;
}

}  // extern "C"
