// Registry key handles and the value routines behind them (model/registry_keys.hpp;
// docs/kernel.md, "Registry").
#include "model/registry_keys.hpp"

#include <fmt/format.h>
#include <fmt/xchar.h>

#include "model/kernel.hpp"
#include "model/registry_value_info.hpp"

namespace kemu::model {
namespace {

constexpr std::wstring_view kCurrentControlSet =
    L"\\Registry\\Machine\\System\\CurrentControlSet\\";
// Where PLUGPLAY_REGKEY_CURRENT_HWPROFILE puts a key: the same path under the current hardware
// profile's copy of CurrentControlSet.
constexpr std::wstring_view kCurrentProfile =
    L"\\Registry\\Machine\\System\\CurrentControlSet\\Hardware Profiles\\Current\\System\\"
    L"CurrentControlSet\\";
// The "System devices" setup class: the software key's class when the test names none
// (DeviceProperties::driver_key_name).
constexpr std::wstring_view kDefaultClass = L"{4d36e97d-e325-11ce-bfc1-08002be10318}";

std::wstring Hex(unsigned value, int digits) { return fmt::format(L"{:0{}X}", value, digits); }

// Relative to CurrentControlSet: the device instance's "Device Parameters" key. The instance ID
// is kemu's own (the device's index), unique on the machine.
std::wstring HardwareKey(const DeviceState& device) {
  const DeviceProperties& p = device.config.properties;
  return L"Enum\\PCI\\VEN_" + Hex(p.vendor_id, 4) + L"&DEV_" + Hex(p.device_id, 4) +
         L"&SUBSYS_00000000&REV_00\\3&" + Hex(device.index, 8) + L"&0&00\\Device Parameters";
}

std::wstring SoftwareKey(const DeviceState& device) {
  const DeviceProperties& p = device.config.properties;
  return L"Control\\Class\\" + p.driver_key_name.value_or(std::wstring(kDefaultClass) + L"\\" +
                                                          fmt::format(L"{:04}", device.index));
}

std::string Narrow(std::wstring_view text) {
  std::string narrow;
  for (const wchar_t c : text) narrow.push_back(c < 0x80 ? static_cast<char>(c) : '?');
  return narrow;
}

std::wstring_view NameOf(const UNICODE_STRING* name) {
  if (name == nullptr || name->Buffer == nullptr) return {};
  return {name->Buffer, name->Length / sizeof(WCHAR)};
}

}  // namespace

void RegistryKeys::AddDevice(DeviceState& device) {
  device.hardware_key = std::wstring(kCurrentControlSet) + HardwareKey(device);
  device.software_key = std::wstring(kCurrentControlSet) + SoftwareKey(device);
}

NTSTATUS RegistryKeys::OpenDeviceKey(const DeviceState& device, ULONG key_type,
                                     ACCESS_MASK /*access*/, PHANDLE handle) {
  // Exactly one of DEVICE and DRIVER, and CURRENT_HWPROFILE at most; nothing else.
  const ULONG which = key_type & ~ULONG{PLUGPLAY_REGKEY_CURRENT_HWPROFILE};
  if (which != PLUGPLAY_REGKEY_DEVICE && which != PLUGPLAY_REGKEY_DRIVER) {
    return STATUS_INVALID_PARAMETER;
  }
  std::wstring path = which == PLUGPLAY_REGKEY_DEVICE ? device.hardware_key : device.software_key;
  if ((key_type & PLUGPLAY_REGKEY_CURRENT_HWPROFILE) != 0) {
    // The profile's copy is a key of its own, empty until the driver writes to it.
    path = std::wstring(kCurrentProfile) + path.substr(kCurrentControlSet.size());
  }
  // Opening a device's key creates it when it is missing, so a key the driver deleted comes back
  // empty (and is the device's DeviceRegistry again) rather than the open handing out a handle
  // every routine rejects as deleted (audit round 17, X7).
  if (!kernel_.registry().Exists(path)) kernel_.registry().Key(path);
  *handle = NewHandle(kemu::Registry::Canonical(path), path, "IoOpenDeviceRegistryKey");
  return STATUS_SUCCESS;
}

NTSTATUS RegistryKeys::Open(const char* routine, const OBJECT_ATTRIBUTES& attributes, bool create,
                            ACCESS_MASK /*access*/, PULONG disposition, PHANDLE handle) {
  // The object manager's checks before it looks a name up (UNCONFIRMED which status each case
  // gets, docs/windows-facts.md §17).
  if (attributes.Length != sizeof(OBJECT_ATTRIBUTES)) return STATUS_INVALID_PARAMETER;
  const std::wstring_view name = NameOf(attributes.ObjectName);
  std::wstring full;
  if (attributes.RootDirectory != nullptr) {
    std::wstring root;
    if (const NTSTATUS status = Resolve(attributes.RootDirectory, &root);
        status != STATUS_SUCCESS) {
      return status;
    }
    if (!name.empty() && name.front() == L'\\') return STATUS_OBJECT_PATH_SYNTAX_BAD;
    const OpenKey& open = open_.at(reinterpret_cast<std::uintptr_t>(attributes.RootDirectory));
    full = open.display + (name.empty() ? L"" : L"\\" + std::wstring(name));
  } else {
    if (attributes.ObjectName == nullptr) return STATUS_OBJECT_NAME_INVALID;
    if (name.empty() || name.front() != L'\\') return STATUS_OBJECT_PATH_SYNTAX_BAD;
    full = std::wstring(name);
  }
  const std::wstring canonical = kemu::Registry::Canonical(full);
  if (canonical.empty()) {
    if (!SameRegistryName(std::wstring_view(full).substr(0, full.find(L'\\', 1)), L"\\Registry")) {
      // Not a registry name: kemu's object namespace holds only \Registry.
      kernel_.ThrowNotModelled(
          fmt::format("{} on {} (kemu's object namespace holds only "
                      "\\Registry)",
                      routine, Narrow(full)));
    }
    return STATUS_OBJECT_NAME_INVALID;
  }
  kemu::Registry& registry = kernel_.registry();
  ULONG result = REG_OPENED_EXISTING_KEY;
  if (!registry.Exists(canonical)) {
    const std::wstring parent = canonical.substr(0, canonical.rfind(L'\\'));
    const bool under_hive = canonical.starts_with(L"\\REGISTRY\\MACHINE\\") ||
                            canonical.starts_with(L"\\REGISTRY\\USER\\");
    if (!create || !under_hive || !registry.Exists(parent)) return STATUS_OBJECT_NAME_NOT_FOUND;
    registry.Key(full);
    result = REG_CREATED_NEW_KEY;
  }
  if (disposition != nullptr) *disposition = result;
  *handle = NewHandle(canonical, full, routine);
  return STATUS_SUCCESS;
}

HANDLE RegistryKeys::NewHandle(std::wstring path, std::wstring display, const char* routine) {
  const HANDLE handle = kernel_.handles().Open(HandleKind::kRegistryKey);
  open_[reinterpret_cast<std::uintptr_t>(handle)] =
      OpenKey{std::move(path), std::move(display), routine};
  return handle;
}

NTSTATUS RegistryKeys::Resolve(HANDLE handle, std::wstring* path) const {
  const std::optional<HandleKind> kind = kernel_.handles().KindOf(handle);
  if (!kind) return STATUS_INVALID_HANDLE;
  if (*kind != HandleKind::kRegistryKey) return STATUS_OBJECT_TYPE_MISMATCH;
  const std::wstring& key = open_.at(reinterpret_cast<std::uintptr_t>(handle)).path;
  // ZwDeleteKey invalidates every handle to the key, not only the one it was given. kemu keeps
  // no key object apart from its path, so a handle outlives its key when the path is gone
  // (UNCONFIRMED: a key created again under the same name is a new key on Windows).
  if (!kernel_.registry().Exists(key)) return STATUS_KEY_DELETED;
  *path = key;
  return STATUS_SUCCESS;
}

NTSTATUS RegistryKeys::QueryValue(const std::wstring& path, std::wstring_view name,
                                  ULONG info_class, PVOID buffer, ULONG length,
                                  PULONG result_length) {
  const RegistryKey* key = kernel_.registry().FindKey(path);
  if (key != nullptr) {
    for (const auto& [stored, value] : key->values()) {
      if (!SameRegistryName(stored, name)) continue;
      return CopyValueInformation(kernel_, "ZwQueryValueKey", "KeyValueInformation",
                                  MakeValueInformation(info_class, stored, value), buffer, length,
                                  result_length);
    }
  }
  return STATUS_OBJECT_NAME_NOT_FOUND;
}

NTSTATUS RegistryKeys::EnumerateValue(const std::wstring& path, ULONG index, ULONG info_class,
                                      PVOID buffer, ULONG length, PULONG result_length) {
  const RegistryKey* key = kernel_.registry().FindKey(path);
  if (key == nullptr || index >= key->values().size()) return STATUS_NO_MORE_ENTRIES;
  const auto& [name, value] = key->values()[index];
  return CopyValueInformation(kernel_, "ZwEnumerateValueKey", "KeyValueInformation",
                              MakeValueInformation(info_class, name, value), buffer, length,
                              result_length);
}

NTSTATUS RegistryKeys::SetValue(const std::wstring& path, std::wstring_view name, ULONG type,
                                const void* data, ULONG size) {
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  kernel_.registry().Key(path).Set(
      name, RegistryValue{.type = type, .data = std::vector<std::uint8_t>(bytes, bytes + size)});
  return STATUS_SUCCESS;
}

NTSTATUS RegistryKeys::DeleteValue(const std::wstring& path, std::wstring_view name) {
  RegistryKey* key = kernel_.registry().FindKey(path);
  if (key == nullptr || !key->Delete(name)) return STATUS_OBJECT_NAME_NOT_FOUND;
  return STATUS_SUCCESS;
}

void RegistryKeys::Close(HANDLE handle) { open_.erase(reinterpret_cast<std::uintptr_t>(handle)); }

std::vector<std::string> RegistryKeys::DescribeLeaks() const {
  std::vector<std::string> lines;
  for (const auto& [handle, key] : open_) {
    lines.push_back(
        fmt::format("the handle {:#x} to the registry key {} ({}) was never closed "
                    "(ZwClose)",
                    handle, Narrow(key.display), key.routine));
  }
  return lines;
}

std::uintptr_t RegistryKeys::FirstLeak() const { return open_.empty() ? 0 : open_.begin()->first; }

}  // namespace kemu::model
