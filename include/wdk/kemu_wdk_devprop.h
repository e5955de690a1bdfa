// kemu_wdk_devprop.h — IoGetDeviceProperty and the device properties it reads.
//
// The PnP manager keeps, for each device it enumerated, what the bus driver and the installation
// said about it: its IDs, description, bus type and address on the bus. A driver asks for one
// property of its device's PDO at a time; a string property comes back as WCHARs, an ID list as
// REG_MULTI_SZ (strings one after another, the list ended by an empty string).
//
//   ULONG address = 0, length = 0;
//   NTSTATUS status = IoGetDeviceProperty(pdo, DevicePropertyAddress, sizeof address, &address,
//                                         &length);
//   USHORT pci_device = (USHORT)(address >> 16), pci_function = (USHORT)(address & 0xFFFF);
#ifndef KEMU_WDK_DEVPROP_H_
#define KEMU_WDK_DEVPROP_H_

#include "kemu_wdk_base.h"

/// Which property IoGetDeviceProperty returns. Each names its buffer's type in a comment.
typedef enum _DEVICE_REGISTRY_PROPERTY KEMU_WDK_ENUM_INT {
  DevicePropertyDeviceDescription = 0x0,            ///< WCHAR string
  DevicePropertyHardwareID = 0x1,                   ///< REG_MULTI_SZ
  DevicePropertyCompatibleIDs = 0x2,                ///< REG_MULTI_SZ
  DevicePropertyBootConfiguration = 0x3,            ///< CM_RESOURCE_LIST
  DevicePropertyBootConfigurationTranslated = 0x4,  ///< CM_RESOURCE_LIST
  DevicePropertyClassName = 0x5,                    ///< WCHAR string
  DevicePropertyClassGuid = 0x6,                    ///< WCHAR string "{xxxxxxxx-...}"
  DevicePropertyDriverKeyName = 0x7,                ///< WCHAR string
  DevicePropertyManufacturer = 0x8,                 ///< WCHAR string
  DevicePropertyFriendlyName = 0x9,                 ///< WCHAR string
  DevicePropertyLocationInformation = 0xA,          ///< WCHAR string
  DevicePropertyPhysicalDeviceObjectName = 0xB,     ///< WCHAR string
  DevicePropertyBusTypeGuid = 0xC,                  ///< GUID
  DevicePropertyLegacyBusType = 0xD,                ///< INTERFACE_TYPE
  DevicePropertyBusNumber = 0xE,                    ///< ULONG
  DevicePropertyEnumeratorName = 0xF,               ///< WCHAR string
  DevicePropertyAddress = 0x10,                     ///< ULONG, bus-specific
  DevicePropertyUINumber = 0x11,                    ///< ULONG
  DevicePropertyInstallState = 0x12,                ///< DEVICE_INSTALL_STATE
  DevicePropertyRemovalPolicy = 0x13,               ///< DEVICE_REMOVAL_POLICY
  DevicePropertyResourceRequirements = 0x14,        ///< IO_RESOURCE_REQUIREMENTS_LIST
  DevicePropertyAllocatedResources = 0x15,          ///< CM_RESOURCE_LIST
  DevicePropertyContainerID = 0x16                  ///< WCHAR string "{xxxxxxxx-...}"
} DEVICE_REGISTRY_PROPERTY;

/// DevicePropertyInstallState.
typedef enum _DEVICE_INSTALL_STATE KEMU_WDK_ENUM_INT {
  InstallStateInstalled = 0,
  InstallStateNeedsReinstall = 1,
  InstallStateFailedInstall = 2,
  InstallStateFinishInstall = 3
} DEVICE_INSTALL_STATE,
    *PDEVICE_INSTALL_STATE;

/// DevicePropertyRemovalPolicy: how the device is expected to leave the system.
typedef enum _DEVICE_REMOVAL_POLICY KEMU_WDK_ENUM_INT {
  RemovalPolicyExpectNoRemoval = 1,
  RemovalPolicyExpectOrderlyRemoval = 2,
  RemovalPolicyExpectSurpriseRemoval = 3
} DEVICE_REMOVAL_POLICY,
    *PDEVICE_REMOVAL_POLICY;

KEMU_WDK_STATIC_ASSERT(sizeof(DEVICE_REGISTRY_PROPERTY) == 4,
                       "DEVICE_REGISTRY_PROPERTY is a 4-byte enum");
KEMU_WDK_STATIC_ASSERT(sizeof(DEVICE_INSTALL_STATE) == 4 && sizeof(DEVICE_REMOVAL_POLICY) == 4,
                       "DEVICE_INSTALL_STATE and DEVICE_REMOVAL_POLICY are 4-byte enums");

KEMU_WDK_BEGIN_DECLS

/// PASSIVE_LEVEL. `DeviceObject` must be a PDO the PnP manager enumerated (anything else is bug
/// check 0xCA, invalid PDO). STATUS_BUFFER_TOO_SMALL, with the size needed in *ResultLength and
/// nothing written, when BufferLength is short.
NTKERNELAPI NTSTATUS NTAPI IoGetDeviceProperty(PDEVICE_OBJECT DeviceObject,
                                               DEVICE_REGISTRY_PROPERTY DeviceProperty,
                                               ULONG BufferLength, PVOID PropertyBuffer,
                                               PULONG ResultLength);

KEMU_WDK_END_DECLS

#endif  // KEMU_WDK_DEVPROP_H_
