// The Rtl registry routines that name a key by RelativeTo and Path: RtlWriteRegistryValue,
// RtlDeleteRegistryValue, RtlCheckRegistryKey, RtlCreateRegistryKey, and RtlQueryRegistryValues'
// key (model/registry_keys.hpp; docs/kernel.md, "Registry"; docs/windows-facts.md §17).
#include <array>
#include <string>

#include "model/kernel.hpp"
#include "model/registry_keys.hpp"

namespace kemu::model {
namespace {

// Where RelativeTo's roots are. RTL_REGISTRY_USER is \Registry\User\.Default: driver code runs
// in the System process, whose user is the default one.
constexpr std::array<const wchar_t*, RTL_REGISTRY_MAXIMUM> kRoots{
    L"",
    L"\\Registry\\Machine\\System\\CurrentControlSet\\Services",
    L"\\Registry\\Machine\\System\\CurrentControlSet\\Control",
    L"\\Registry\\Machine\\Software\\Microsoft\\Windows NT\\CurrentVersion",
    L"\\Registry\\Machine\\Hardware\\DeviceMap",
    L"\\Registry\\User\\.Default"};

bool UnderHive(const std::wstring& canonical) {
  return canonical.starts_with(L"\\REGISTRY\\MACHINE\\") ||
         canonical.starts_with(L"\\REGISTRY\\USER\\");
}

}  // namespace

NTSTATUS RegistryKeys::RelativePath(ULONG relative_to, PCWSTR path, std::wstring* key) const {
  if ((relative_to & RTL_REGISTRY_HANDLE) != 0) {
    std::wstring canonical;
    const auto handle = const_cast<PWSTR>(path);
    if (const NTSTATUS status = Resolve(handle, &canonical); status != STATUS_SUCCESS) {
      return status;
    }
    *key = open_.at(reinterpret_cast<std::uintptr_t>(handle)).display;
    return STATUS_SUCCESS;
  }
  const ULONG root = relative_to & ~ULONG{RTL_REGISTRY_OPTIONAL};
  if (root >= RTL_REGISTRY_MAXIMUM) return STATUS_INVALID_PARAMETER;
  std::wstring name = path != nullptr ? path : L"";
  if (root == RTL_REGISTRY_ABSOLUTE) {
    *key = name;
    return STATUS_SUCCESS;
  }
  // A relative path may start with a backslash or not (UNCONFIRMED, docs/windows-facts.md
  // §17.2).
  if (!name.empty() && name.front() == L'\\') name.erase(0, 1);
  *key = std::wstring(kRoots[root]) + (name.empty() ? L"" : L"\\" + name);
  return STATUS_SUCCESS;
}

NTSTATUS RegistryKeys::WriteValue(ULONG relative_to, PCWSTR path, PCWSTR name, ULONG type,
                                  const void* data, ULONG size) {
  std::wstring key;
  if (const NTSTATUS status = RelativePath(relative_to, path, &key); status != STATUS_SUCCESS) {
    return status;
  }
  const std::wstring canonical = kemu::Registry::Canonical(key);
  if (canonical.empty()) return STATUS_OBJECT_NAME_INVALID;
  kemu::Registry& registry = kernel_.registry();
  // A missing key is created when the key above it exists (the page: "the new key must be a
  // direct subkey" of one that does); a longer missing path fails as ZwCreateKey's would.
  if (!registry.Exists(canonical)) {
    const std::wstring parent = canonical.substr(0, canonical.rfind(L'\\'));
    if (!UnderHive(canonical) || !registry.Exists(parent)) return STATUS_OBJECT_NAME_NOT_FOUND;
    registry.Key(key);
  }
  return SetValue(canonical, name != nullptr ? name : L"", type, data, size);
}

NTSTATUS RegistryKeys::CheckKey(ULONG relative_to, PCWSTR path) {
  std::wstring key;
  if (const NTSTATUS status = RelativePath(relative_to, path, &key); status != STATUS_SUCCESS) {
    return status;
  }
  return kernel_.registry().Exists(key) ? STATUS_SUCCESS : STATUS_OBJECT_NAME_NOT_FOUND;
}

NTSTATUS RegistryKeys::DeleteValueAt(ULONG relative_to, PCWSTR path, PCWSTR name) {
  std::wstring key;
  if (const NTSTATUS status = RelativePath(relative_to, path, &key); status != STATUS_SUCCESS) {
    return status;
  }
  // The page documents only STATUS_SUCCESS "if the value entry was deleted"; a missing key or
  // value is the status ZwOpenKey and ZwDeleteValueKey give for it, RTL_REGISTRY_OPTIONAL or not
  // (UNCONFIRMED, docs/windows-facts.md §17.2).
  if (!kernel_.registry().Exists(key)) return STATUS_OBJECT_NAME_NOT_FOUND;
  return DeleteValue(kemu::Registry::Canonical(key), name != nullptr ? name : L"");
}

NTSTATUS RegistryKeys::CreateKey(ULONG relative_to, PCWSTR path) {
  std::wstring key;
  if (const NTSTATUS status = RelativePath(relative_to, path, &key); status != STATUS_SUCCESS) {
    return status;
  }
  const std::wstring canonical = kemu::Registry::Canonical(key);
  if (canonical.empty()) return STATUS_OBJECT_NAME_INVALID;
  kemu::Registry& registry = kernel_.registry();
  if (registry.Exists(canonical)) return STATUS_SUCCESS;  // opened, as ZwCreateKey would
  // Only the last key is created: a missing key above it fails the call (documented).
  const std::wstring parent = canonical.substr(0, canonical.rfind(L'\\'));
  if (!UnderHive(canonical) || !registry.Exists(parent)) return STATUS_OBJECT_NAME_NOT_FOUND;
  registry.Key(key);
  return STATUS_SUCCESS;
}

}  // namespace kemu::model
