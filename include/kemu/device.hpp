// kemu/device.hpp — emulated devices: the PnP view a driver sees, and the hardware side a test
// drives.
//
// A device has a PDO, an optional line-based interrupt and optionally MSI/MSI-X messages. The PnP
// manager of the selected personality decides which of them the driver is granted: message
// descriptors only where the personality supports MSI, otherwise the line.
//
//   kemu::Device& nic = machine.AddDevice({.name = "nic0",
//       .line = kemu::LineInterrupt{.vector = 0x51, .irql = 5, .shared = true},
//       .messages = 4});
//   MyStartDevice(nic.pdo(), nic.translated_resources());   // the driver connects its ISR
//   nic.AssertLine();                                       // the ISR runs (or stays pending)
//   EXPECT_EQ(nic.connection()->isr_calls, 1u);
#ifndef KEMU_DEVICE_HPP_
#define KEMU_DEVICE_HPP_

#include <wdm.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kemu/hardware.hpp"
#include "kemu/registry.hpp"

namespace kemu {

namespace model {
class Kernel;
struct DeviceState;
}  // namespace model

/// How a line interrupt signals: level (stays asserted until the device is acknowledged) or edge.
enum class Trigger { kLevel, kEdge };

/// A line-based interrupt as the translated resource describes it.
struct LineInterrupt {
  std::uint32_t vector = 0;  ///< system vector (u.Interrupt.Vector)
  std::uint8_t irql = 0;     ///< DIRQL (u.Interrupt.Level): 3..11, or 0 (passive)
  Trigger mode = Trigger::kLevel;
  bool shared = false;                         ///< CmResourceShareShared
  std::uint64_t affinity = ~std::uint64_t{0};  ///< KAFFINITY; all ones = any processor
};

/// What IoGetDeviceProperty reports for the device's PDO (docs/kernel.md, "Device properties").
/// A field left unset takes the default kemu derives from the device (a PCI function on bus
/// `bus_number`, slot `pci_device`); the optional strings without a default stay absent, and
/// IoGetDeviceProperty returns STATUS_OBJECT_NAME_NOT_FOUND for them.
struct DeviceProperties {
  /// DevicePropertyDeviceDescription; default: the device's name, one WCHAR per byte.
  std::optional<std::wstring> device_description = std::nullopt;
  /// DevicePropertyHardwareID; default: PCI\VEN_vvvv&DEV_dddd&SUBSYS_00000000&REV_00 and
  /// PCI\VEN_vvvv&DEV_dddd from `vendor_id` and `device_id`.
  std::optional<std::vector<std::wstring>> hardware_ids = std::nullopt;
  std::optional<std::vector<std::wstring>> compatible_ids = std::nullopt;  ///< absent unless set
  std::optional<std::wstring> class_name = std::nullopt;                   ///< absent unless set
  std::optional<std::wstring> class_guid =
      std::nullopt;  ///< "{xxxxxxxx-xxxx-...}"; absent unless set
  /// DevicePropertyDriverKeyName, the software key's name under Control\Class; default
  /// {4d36e97d-e325-11ce-bfc1-08002be10318}\<the device's index, 4 digits>, the "System devices"
  /// class (the key IoOpenDeviceRegistryKey(PLUGPLAY_REGKEY_DRIVER) opens either way).
  std::optional<std::wstring> driver_key_name = std::nullopt;
  std::optional<std::wstring> manufacturer = std::nullopt;   ///< absent unless set
  std::optional<std::wstring> friendly_name = std::nullopt;  ///< absent unless set
  /// DevicePropertyLocationInformation; default "PCI bus B, device D, function F".
  std::optional<std::wstring> location_information = std::nullopt;
  /// DevicePropertyPhysicalDeviceObjectName; default \Device\NTPNP_PCI0000 + the device's index.
  std::optional<std::wstring> pdo_name = std::nullopt;
  std::optional<std::wstring> enumerator_name = std::nullopt;  ///< default "PCI"
  std::optional<std::wstring> container_id = std::nullopt;  ///< "{xxxxxxxx-...}"; absent unless set
  std::uint16_t vendor_id = 0;  ///< PCI vendor ID the default hardware IDs name
  std::uint16_t device_id = 0;  ///< PCI device ID the default hardware IDs name
  /// PCI revision ID: configuration space and the default hardware IDs' REV_rr.
  std::uint8_t revision_id = 0;
  /// PCI class code in configuration space: base class << 16 | subclass << 8 | programming
  /// interface (0x020000: an Ethernet controller).
  std::uint32_t class_code = 0;
  /// PCI subsystem vendor and subsystem ID: configuration space and the default hardware IDs'
  /// SUBSYS_ssssvvvv.
  std::uint16_t subsystem_vendor_id = 0;
  std::uint16_t subsystem_id = 0;
  std::uint32_t bus_number = 0;  ///< DevicePropertyBusNumber, and the resource lists' BusNumber
  /// PCI device (slot) number, 0..31; default: the device's index among the machine's devices.
  std::optional<std::uint16_t> pci_device = std::nullopt;
  std::uint16_t pci_function = 0;  ///< PCI function number, 0..7
  /// DevicePropertyAddress; default (pci_device << 16) | pci_function, as the PCI bus reports it.
  std::optional<std::uint32_t> address = std::nullopt;
  std::optional<GUID> bus_type_guid = std::nullopt;  ///< default GUID_BUS_TYPE_PCI
  INTERFACE_TYPE legacy_bus_type = PCIBus;
  std::optional<std::uint32_t> ui_number = std::nullopt;  ///< absent unless set
  DEVICE_INSTALL_STATE install_state = InstallStateInstalled;
  DEVICE_REMOVAL_POLICY removal_policy = RemovalPolicyExpectNoRemoval;
};

struct DeviceConfig {
  std::string name;
  std::optional<LineInterrupt> line = std::nullopt;
  /// > 0: the device is MSI-capable and asks for this many messages. Granted only on
  /// personalities with MSI (Vista+); a request above Personality::max_messages gets exactly one
  /// message, as the PnP manager does when it cannot grant them all (docs/windows-facts.md §8.3).
  unsigned messages = 0;
  /// MSI-X (one resource descriptor per message) instead of MSI (one for all).
  bool msix = false;
  /// Fault injection on the PnP side: grant at most this many messages (1: the "exactly one"
  /// fallback; 0: none, so the driver runs on its line).
  std::optional<unsigned> grant_messages = std::nullopt;
  /// Grant no messages even where the personality supports MSI, so the fallback path runs.
  bool withhold_msi = false;
  /// > 0: a memory BAR of this many bytes (at most 1 MiB), granted as CmResourceTypeMemory at
  /// 0xF0000000 + device index * 0x100000; the driver maps it with MmMapIoSpace.
  std::uint32_t memory_bytes = 0;
  /// > 0: an I/O port range of this many ports (at most 256), granted as CmResourceTypePort at
  /// 0xE000 + device index * 0x100.
  std::uint32_t port_bytes = 0;
  /// What answers the driver's register and port accesses. Not owned; it must outlive the
  /// Machine. nullptr with a BAR or ports: kemu gives the device a plain RegisterFile as large as
  /// the larger of the two.
  Hardware* hardware = nullptr;
  /// What IoGetDeviceProperty returns; Device::properties() changes it later.
  DeviceProperties properties = {};
  /// The values of the device's hardware and software keys (IoOpenDeviceRegistryKey);
  /// Device::registry() reads and changes them later.
  DeviceRegistry registry = {};
};

/// What the device's current interrupt connection looks like, and what happened on it.
struct Connection {
  /// CONNECT_* version in effect: what IoConnectInterruptEx returned in Parameters->Version;
  /// CONNECT_FULLY_SPECIFIED for IoConnectInterrupt.
  std::uint32_t version = 0;
  bool legacy = false;                ///< connected with IoConnectInterrupt
  std::uint32_t message_count = 0;    ///< messages connected (0 for a line)
  std::uint8_t synchronize_irql = 0;  ///< SynchronizeIrql, or UnifiedIrql for messages
  bool active = true;                 ///< IoReportInterruptActive / Inactive (Windows 8+)
  std::uint64_t isr_calls = 0;        ///< service routine calls
  std::uint64_t isr_claimed = 0;      ///< calls that returned TRUE
  std::uint64_t dpcs_requested = 0;   ///< DPCs the service routine queued
  std::uint32_t pending = 0;          ///< interrupts on its vectors waiting to be delivered
};

/// What a scheduled device event does.
enum class DeviceAction { kAssertLine, kDeassertLine, kPulseLine, kSignalMessage };

/// An emulated PCI function. Owned by its Machine; valid until the Machine is destroyed.
class Device {
 public:
  Device(model::Kernel& kernel, model::DeviceState& state) : kernel_(kernel), state_(state) {}
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;
  ~Device();

  const std::string& name() const;
  /// The physical device object (what IoConnectInterruptEx's PhysicalDeviceObject names).
  PDEVICE_OBJECT pdo();
  /// AllocatedResources / AllocatedResourcesTranslated of IRP_MN_START_DEVICE, laid out as on
  /// Windows x64. NULL when the device was granted no resources (PNP-1).
  PCM_RESOURCE_LIST raw_resources();
  PCM_RESOURCE_LIST translated_resources();
  /// Messages the PnP manager granted (0: the device runs on its line, if any).
  unsigned granted_messages() const;
  const DeviceConfig& config() const;
  /// The PnP properties IoGetDeviceProperty reads, for a test to change between driver calls
  /// (the next call reads the change).
  DeviceProperties& properties();
  /// The device's registry keys as the driver sees them now: what the test set, changed by what
  /// the driver wrote (ZwSetValueKey, ZwDeleteValueKey). The next driver call reads a change.
  DeviceRegistry& registry();

  /// The device's registers: DeviceConfig::hardware, or the RegisterFile kemu made for it
  /// (nullptr when the device has neither BAR nor ports nor hardware).
  Hardware* hardware() const;
  /// Physical address of the memory BAR (0 when DeviceConfig::memory_bytes is 0).
  std::uint64_t memory_base() const;
  /// First port of the I/O range (0 when DeviceConfig::port_bytes is 0).
  std::uint32_t port_base() const;
  /// The function's 256-byte PCI configuration space as HalGetBusDataByOffset reads it now
  /// (docs/kernel.md, "PCI configuration space"): what kemu built from the config, changed by
  /// what the driver wrote with HalSetBusDataByOffset.
  std::span<const std::uint8_t> config_space() const;
  /// The function's PCI location: bus (DeviceProperties::bus_number) and the PCI_SLOT_NUMBER
  /// value the Hal*BusData* routines take for it.
  std::uint32_t pci_bus() const;
  std::uint32_t pci_slot() const;

  // The hardware side. Each delivers at once when the target vCPU's IRQL is below the DIRQL and
  // the interrupt lock is free; otherwise the interrupt stays pending until it can be. AssertLine
  // and PulseLine (and scheduling them) on a device without a `line` throw kemu::Error, as
  // SignalMessage does for a message the device was not granted; DeassertLine is then a no-op.
  void AssertLine();
  void DeassertLine();
  /// An edge on the line (Trigger::kEdge devices).
  void PulseLine();
  /// MSI/MSI-X message `message_id` (0-based index into the granted messages).
  void SignalMessage(std::uint32_t message_id);
  bool line_asserted() const;

  /// Performs `action` now: AssertLine, DeassertLine, PulseLine or SignalMessage(message_id).
  /// For code that chooses the action at run time, e.g. by what the device was granted.
  void Perform(DeviceAction action, std::uint32_t message_id = 0);
  /// Performs `action` when the driver makes its `calls`-th kernel call from now (1 = the next
  /// one; 0 is taken as 1), before that call runs: an interrupt landing between two driver
  /// statements. A count past the 64-bit call counter's range never comes (it saturates).
  void ScheduleAfterCalls(std::uint64_t calls, DeviceAction action, std::uint32_t message_id = 0);
  /// Runs `hardware` at the same moment: for a hardware model that decides then what it does
  /// (a card that interrupts only if a cause is still latched and enabled when the moment comes).
  /// It runs on the machine's thread like a device action and may call this device's
  /// AssertLine, PulseLine, SignalMessage or its RegisterFile; whatever it captures must outlive
  /// the moment or the Machine.
  void ScheduleAfterCalls(std::uint64_t calls, std::function<void()> hardware);
  /// Performs `action` once virtual time reaches `time_us` microseconds since boot (time moves in
  /// KeStallExecutionProcessor, Machine::AdvanceTime and waits; each stops at the moment, so
  /// the action comes before timers due later); a time already reached, 0 included, performs it
  /// at once. Virtual
  /// time counts 100 ns units in 64 bits: a `time_us` above 1844674407370955161 never comes.
  void ScheduleAt(std::uint64_t time_us, DeviceAction action, std::uint32_t message_id = 0);
  /// Drops every action and callback scheduled on this device that has not come yet: a device
  /// whose driver disabled its interrupts (before disconnecting) raises nothing more.
  void CancelScheduled();

  /// The current connection, or nullptr when no ISR is connected to this device. The pointer
  /// stays valid after the disconnect only while the connection is among the last 256
  /// disconnected on the machine (kemu frees older ones, docs/differences.md): copy the
  /// Connection to keep its figures for longer.
  const Connection* connection() const;
  /// The current connection; after a disconnect, a copy of the last connection's figures as
  /// they stood when it was disconnected (every ISR call up to the disconnect counted, `pending`
  /// 0), kept until the device connects again; nullptr before the device's first connection.
  /// What a test checks after the driver's stop path.
  const Connection* last_connection() const;

  /// Points at this device until it is destroyed with its Machine, then at nullptr. For Hardware
  /// models, which may outlive the machine: they keep this instead of a Device* that would
  /// dangle.
  std::shared_ptr<Device* const> lifetime() const { return self_; }

 private:
  model::Kernel& kernel_;
  model::DeviceState& state_;
  std::shared_ptr<Device*> self_ = std::make_shared<Device*>(this);
};

}  // namespace kemu

#endif  // KEMU_DEVICE_HPP_
