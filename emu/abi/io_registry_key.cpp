// IoOpenDeviceRegistryKey: a handle to an emulated device's hardware or software key
// (model/registry_keys.hpp; docs/kernel.md, "Registry").
#include <wdm.h>

#include "abi/entry.hpp"
#include "model/devices.hpp"
#include "model/registry_keys.hpp"

extern "C" {

NTSTATUS IoOpenDeviceRegistryKey(PDEVICE_OBJECT DeviceObject, ULONG DevInstKeyType,
                                 ACCESS_MASK DesiredAccess, PHANDLE DeviceRegKey) {
  static constexpr const char* kRoutine = "IoOpenDeviceRegistryKey";
  kemu::model::Kernel& kernel =
      KEMU_ENTER(IoOpenDeviceRegistryKey, KEMU_ARG(DeviceObject), KEMU_ARG(DevInstKeyType),
                 KEMU_ARG(DesiredAccess), KEMU_ARG(DeviceRegKey));
  kemu::abi::AtMost(kernel, kRoutine, PASSIVE_LEVEL);
  const kemu::model::DeviceState* device = kernel.devices().FindByPdo(DeviceObject);
  if (device == nullptr) {
    // Documented: STATUS_INVALID_PARAMETER for a DeviceObject that is no valid PDO. Driver
    // Verifier's PnP checks stop the driver there instead, as for IoGetDeviceProperty (0xCA /
    // 0x2); UNCONFIRMED that the verifier catches this routine (docs/windows-facts.md §17).
    if (kernel.verifier().mode() == kemu::verifier::CheckMode::kVerifier) {
      kernel.verifier().InvalidPdo(kRoutine, DeviceObject);
    }
    return STATUS_INVALID_PARAMETER;
  }
  kernel.verifier().Dereferenced(kRoutine, DeviceRegKey, "DeviceRegKey");
  return kernel.registry_keys().OpenDeviceKey(*device, DevInstKeyType, DesiredAccess, DeviceRegKey);
}

}  // extern "C"
