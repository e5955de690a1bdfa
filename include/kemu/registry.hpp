// kemu/registry.hpp — the registry a driver reads its parameters from, as a test sets it up and
// reads it back (docs/kernel.md, "Registry").
//
// The machine holds one registry in memory: the driver's service key (what DriverEntry's
// RegistryPath names) and, for each device, its hardware key ("Device Parameters",
// PLUGPLAY_REGKEY_DEVICE) and software key (PLUGPLAY_REGKEY_DRIVER). Values are stored as the
// bytes of their type, as Windows stores them.
//
//   kemu::Device& nic = machine.AddDevice({.name = "nic0", .registry = {.device = {
//       {L"MSISupported", kemu::RegistryValue::Dword(1)}}}});
//   machine.registry().ServiceParameters(L"mynic").Set(L"DebugLevel",
//                                                      kemu::RegistryValue::Dword(3));
//   DriverEntry(&driver, machine.registry().RegistryPath(L"mynic"));
//   MyStartDevice(nic.pdo(), nic.translated_resources());
//   EXPECT_EQ(nic.registry().driver.Find(L"LastLinkSpeed")->dword(), 1000u);
#ifndef KEMU_REGISTRY_HPP_
#define KEMU_REGISTRY_HPP_

#include <wdm.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kemu {

namespace model {
class Devices;
}  // namespace model

/// One registry value: its REG_* type and its bytes.
struct RegistryValue {
  std::uint32_t type = REG_NONE;
  std::vector<std::uint8_t> data;

  /// REG_DWORD: four bytes, little-endian.
  static RegistryValue Dword(std::uint32_t value);
  /// REG_QWORD: eight bytes, little-endian.
  static RegistryValue Qword(std::uint64_t value);
  /// REG_SZ: the WCHARs and their terminating NUL.
  static RegistryValue String(std::wstring_view text);
  /// REG_EXPAND_SZ: as String, typed for expansion.
  static RegistryValue ExpandString(std::wstring_view text);
  /// REG_MULTI_SZ: each string with its NUL, then one more NUL.
  static RegistryValue MultiString(const std::vector<std::wstring>& list);
  /// REG_BINARY: the bytes as given.
  static RegistryValue Binary(std::vector<std::uint8_t> bytes);

  /// The value read as its type: nullopt when the type differs or the size is wrong.
  std::optional<std::uint32_t> dword() const;
  std::optional<std::uint64_t> qword() const;
  /// REG_SZ or REG_EXPAND_SZ, up to the first NUL.
  std::optional<std::wstring> string() const;
  std::optional<std::vector<std::wstring>> multi_string() const;

  bool operator==(const RegistryValue&) const = default;
};

/// The values of one key. Names compare case-insensitively, as the registry's do; the empty
/// name is the key's default value. Values keep the order they were first set in (the order
/// ZwEnumerateValueKey and RtlQueryRegistryValues list them).
class RegistryKey {
 public:
  RegistryKey() = default;
  RegistryKey(std::initializer_list<std::pair<std::wstring, RegistryValue>> values);

  /// Creates or replaces the value `name`.
  void Set(std::wstring_view name, RegistryValue value);
  /// The value `name`, or nullptr.
  const RegistryValue* Find(std::wstring_view name) const;
  /// Removes the value `name`; false when there was none.
  bool Delete(std::wstring_view name);
  /// Every value with its name as it was first set, in that order.
  const std::vector<std::pair<std::wstring, RegistryValue>>& values() const { return values_; }
  bool empty() const { return values_.empty(); }

 private:
  std::vector<std::pair<std::wstring, RegistryValue>> values_;
};

/// A device's two keys, as DeviceConfig::registry sets them and Device::registry() reads them.
struct DeviceRegistry {
  /// The hardware key, PLUGPLAY_REGKEY_DEVICE: the device instance's "Device Parameters".
  RegistryKey device = {};
  /// The software key, PLUGPLAY_REGKEY_DRIVER: under Control\Class.
  RegistryKey driver = {};
};

/// The machine's registry (Machine::registry()). Paths are absolute kernel names
/// (\Registry\Machine\...), compared case-insensitively. A key exists when it was created or a
/// key under it was; the standard roots (\Registry\Machine\System\CurrentControlSet\Services,
/// \Control, \Enum, \Registry\Machine\Hardware\DeviceMap, \Registry\Machine\Software, ...) always
/// do.
class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  /// The values of the key at `path`, creating the key (and the keys above it) if need be.
  /// Throws kemu::Error for a path that is not under \Registry\Machine or \Registry\User.
  RegistryKey& Key(std::wstring_view path);
  /// The values of the key at `path` if that key was created (by the test, the driver or kemu),
  /// else nullptr.
  RegistryKey* FindKey(std::wstring_view path);
  /// Whether the key at `path` exists (created, or above one that was).
  bool Exists(std::wstring_view path) const;

  /// \Registry\Machine\System\CurrentControlSet\Services\<service>.
  static std::wstring ServicePath(std::wstring_view service);
  /// The service key's values (Start, Type, ImagePath ...), creating the key.
  RegistryKey& Service(std::wstring_view service);
  /// The service key's Parameters subkey, where a driver keeps its tuning values.
  RegistryKey& ServiceParameters(std::wstring_view service);
  /// The RegistryPath to pass to DriverEntry: the service key's name as a UNICODE_STRING that
  /// stays valid as long as the machine. Creates the key. `service` is one key name, 1 to 255
  /// characters without a backslash; anything else throws kemu::Error.
  PUNICODE_STRING RegistryPath(std::wstring_view service);

  /// The path of every key created (by the test, the driver or kemu), as first written.
  std::vector<std::wstring> KeyPaths() const;
  /// The names of the keys directly under `path`, each as first written, in the order
  /// ZwEnumerateKey lists them: by name, without regard to case.
  std::vector<std::wstring> Subkeys(std::wstring_view path) const;
  /// Deletes the key at `path` with its values, as ZwDeleteKey does: false, changing nothing,
  /// when the key does not exist or has subkeys. The key above it stays. A device's key deleted
  /// this way is the device's again (empty) once created again.
  bool DeleteKey(std::wstring_view path);

  /// `path` in the form kemu compares keys by (upper case, no trailing separator); empty when
  /// `path` is no valid key name.
  static std::wstring Canonical(std::wstring_view path);

 private:
  friend class model::Devices;
  struct Node {
    std::wstring path;  ///< as first written
    RegistryKey* key;   ///< the values: owned below, or a device's DeviceRegistry
    std::unique_ptr<RegistryKey> owned;
  };
  /// Makes `path` name `key`, which the caller owns (a device's keys): kemu's own use.
  void Attach(std::wstring_view path, RegistryKey* key);

  std::map<std::wstring, Node> nodes_;  ///< by Canonical path
  /// The attached keys the driver deleted, by Canonical path: Key() attaches them again.
  std::map<std::wstring, RegistryKey*> detached_;
  struct Path {
    std::wstring text;
    UNICODE_STRING string;
  };
  std::map<std::wstring, std::unique_ptr<Path>> registry_paths_;  ///< by Canonical service path
};

}  // namespace kemu

#endif  // KEMU_REGISTRY_HPP_
