// Open registry keys: the handles a driver holds to keys of the machine's kemu::Registry
// (kemu/registry.hpp), and what it does through them: open and create keys by name
// (ZwOpenKey, ZwCreateKey), a device's hardware and software keys (IoOpenDeviceRegistryKey),
// query, enumerate, set and delete values, and RtlQueryRegistryValues' tables
// (registry_query.cpp). docs/kernel.md, "Registry". A key handle still open at
// Machine::Shutdown is a leak.
#ifndef KEMU_EMU_MODEL_REGISTRY_KEYS_HPP_
#define KEMU_EMU_MODEL_REGISTRY_KEYS_HPP_

#include <wdm.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "kemu/registry.hpp"

namespace kemu::model {

class Kernel;
struct DeviceState;

class RegistryKeys {
 public:
  explicit RegistryKeys(Kernel& kernel) : kernel_(kernel) {}
  RegistryKeys(const RegistryKeys&) = delete;
  RegistryKeys& operator=(const RegistryKeys&) = delete;

  /// Names a new device's hardware and software keys (DeviceState::hardware_key, software_key);
  /// Devices::Add attaches its DeviceRegistry to them.
  void AddDevice(DeviceState& device);
  /// IoOpenDeviceRegistryKey on `device` (a PDO kemu made): `key_type` checked here.
  NTSTATUS OpenDeviceKey(const DeviceState& device, ULONG key_type, ACCESS_MASK access,
                         PHANDLE handle);
  /// ZwOpenKey (`create` false) and ZwCreateKey: the key `attributes` names. `disposition`
  /// (may be null) receives REG_CREATED_NEW_KEY or REG_OPENED_EXISTING_KEY.
  NTSTATUS Open(const char* routine, const OBJECT_ATTRIBUTES& attributes, bool create,
                ACCESS_MASK access, PULONG disposition, PHANDLE handle);

  /// The canonical path of the key `handle` names, or the status a routine returns for it:
  /// STATUS_INVALID_HANDLE (not open), STATUS_OBJECT_TYPE_MISMATCH (another kind of handle),
  /// STATUS_KEY_DELETED (the key was deleted since the handle was opened).
  NTSTATUS Resolve(HANDLE handle, std::wstring* path) const;
  /// The canonical path of the key an Rtl registry routine's RelativeTo and Path name
  /// (RTL_REGISTRY_HANDLE: Path is a key handle); RTL_REGISTRY_OPTIONAL is the caller's.
  /// STATUS_INVALID_PARAMETER for a RelativeTo that names no root.
  NTSTATUS RelativePath(ULONG relative_to, PCWSTR path, std::wstring* key) const;

  /// ZwQueryKey / ZwEnumerateKey, handle and class checked by the caller.
  NTSTATUS QueryKey(const std::wstring& path, ULONG info_class, PVOID buffer, ULONG length,
                    PULONG result_length);
  NTSTATUS EnumerateKey(const std::wstring& path, ULONG index, ULONG info_class, PVOID buffer,
                        ULONG length, PULONG result_length);
  /// ZwDeleteKey on the key `path` (STATUS_CANNOT_DELETE while it has subkeys).
  NTSTATUS DeleteKey(const std::wstring& path);
  /// RtlWriteRegistryValue, RtlCheckRegistryKey, RtlDeleteRegistryValue and RtlCreateRegistryKey
  /// (registry_paths.cpp).
  NTSTATUS WriteValue(ULONG relative_to, PCWSTR path, PCWSTR name, ULONG type, const void* data,
                      ULONG size);
  NTSTATUS CheckKey(ULONG relative_to, PCWSTR path);
  /// RtlDeleteRegistryValue: STATUS_OBJECT_NAME_NOT_FOUND when the key or the value is missing.
  NTSTATUS DeleteValueAt(ULONG relative_to, PCWSTR path, PCWSTR name);
  NTSTATUS CreateKey(ULONG relative_to, PCWSTR path);

  /// ZwQueryValueKey / ZwEnumerateValueKey, handle and class checked by the caller.
  NTSTATUS QueryValue(const std::wstring& path, std::wstring_view name, ULONG info_class,
                      PVOID buffer, ULONG length, PULONG result_length);
  NTSTATUS EnumerateValue(const std::wstring& path, ULONG index, ULONG info_class, PVOID buffer,
                          ULONG length, PULONG result_length);
  NTSTATUS SetValue(const std::wstring& path, std::wstring_view name, ULONG type, const void* data,
                    ULONG size);
  NTSTATUS DeleteValue(const std::wstring& path, std::wstring_view name);

  /// RtlQueryRegistryValues, arguments checked by the caller (registry_query.cpp).
  NTSTATUS QueryTable(ULONG relative_to, PCWSTR path, PRTL_QUERY_REGISTRY_TABLE table,
                      PVOID context);

  /// Handles::Close's part for a key handle.
  void Close(HANDLE handle);

  std::vector<std::string> DescribeLeaks() const;
  std::uintptr_t FirstLeak() const;

 private:
  struct OpenKey {
    std::wstring path;     ///< canonical
    std::wstring display;  ///< as the driver or kemu wrote it, for the leak report
    const char* routine;   ///< what opened it, for the leak report
  };
  HANDLE NewHandle(std::wstring path, std::wstring display, const char* routine);

  Kernel& kernel_;
  std::map<std::uintptr_t, OpenKey> open_;  ///< by handle value
};

}  // namespace kemu::model

#endif  // KEMU_EMU_MODEL_REGISTRY_KEYS_HPP_
