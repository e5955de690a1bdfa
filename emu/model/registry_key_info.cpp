// Keys as a driver asks about them: ZwQueryKey and ZwEnumerateKey (KEY_BASIC_INFORMATION,
// KEY_NODE_INFORMATION, KEY_FULL_INFORMATION) and ZwDeleteKey (model/registry_keys.hpp;
// docs/kernel.md, "Registry"; docs/windows-facts.md §17).
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "model/kernel.hpp"
#include "model/registry_keys.hpp"
#include "model/registry_value_info.hpp"

namespace kemu::model {
namespace {

// kemu stores no class for a key (ZwCreateKey's Class is not kept), and a key without one says
// so with this ClassOffset (UNCONFIRMED, docs/windows-facts.md §17.2).
constexpr ULONG kNoClass = 0xFFFFFFFF;

void PutUlong(std::vector<std::uint8_t>& bytes, std::size_t offset, std::size_t value) {
  const auto ulong = static_cast<ULONG>(value);
  std::memcpy(bytes.data() + offset, &ulong, sizeof ulong);
}

void PutName(std::vector<std::uint8_t>& bytes, std::size_t offset, std::wstring_view name) {
  if (!name.empty()) std::memcpy(bytes.data() + offset, name.data(), name.size() * sizeof(WCHAR));
}

// The last name of `path`, as it was first written.
std::wstring NameOf(const kemu::Registry& registry, const std::wstring& path) {
  const std::size_t cut = path.rfind(L'\\');
  const std::wstring last = path.substr(cut + 1);
  for (const std::wstring& name : registry.Subkeys(path.substr(0, cut))) {
    if (SameRegistryName(name, last)) return name;
  }
  return last;
}

// KEY_FULL_INFORMATION's counts: the subkeys' and values' number and longest names and data.
void PutCounts(kemu::Registry& registry, const std::wstring& path,
               std::vector<std::uint8_t>& bytes) {
  const std::vector<std::wstring> subkeys = registry.Subkeys(path);
  std::size_t longest_subkey = 0;
  for (const std::wstring& name : subkeys) longest_subkey = std::max(longest_subkey, name.size());
  std::size_t values = 0;
  std::size_t longest_value_name = 0;
  std::size_t longest_data = 0;
  if (const RegistryKey* key = registry.FindKey(path)) {
    values = key->values().size();
    for (const auto& [name, value] : key->values()) {
      longest_value_name = std::max(longest_value_name, name.size());
      longest_data = std::max(longest_data, value.data.size());
    }
  }
  PutUlong(bytes, offsetof(KEY_FULL_INFORMATION, SubKeys), subkeys.size());
  PutUlong(bytes, offsetof(KEY_FULL_INFORMATION, MaxNameLen), longest_subkey * sizeof(WCHAR));
  PutUlong(bytes, offsetof(KEY_FULL_INFORMATION, Values), values);
  PutUlong(bytes, offsetof(KEY_FULL_INFORMATION, MaxValueNameLen),
           longest_value_name * sizeof(WCHAR));
  PutUlong(bytes, offsetof(KEY_FULL_INFORMATION, MaxValueDataLen), longest_data);
}

// The structure of class `info_class` (Basic, Node or Full) for the key at `path`, whose name is
// `name`. LastWriteTime is 0: kemu keeps no times for keys (docs/differences.md).
ValueInformation MakeKeyInformation(kemu::Registry& registry, const std::wstring& path,
                                    std::wstring_view name, ULONG info_class) {
  const std::size_t name_bytes = name.size() * sizeof(WCHAR);
  ValueInformation info;
  switch (info_class) {
    case KeyBasicInformation: {
      constexpr std::size_t kName = offsetof(KEY_BASIC_INFORMATION, Name);
      info.fixed = kName;
      info.bytes.assign(kName + name_bytes, 0);
      PutUlong(info.bytes, offsetof(KEY_BASIC_INFORMATION, NameLength), name_bytes);
      PutName(info.bytes, kName, name);
      break;
    }
    case KeyNodeInformation: {
      constexpr std::size_t kName = offsetof(KEY_NODE_INFORMATION, Name);
      info.fixed = kName;
      info.bytes.assign(kName + name_bytes, 0);
      PutUlong(info.bytes, offsetof(KEY_NODE_INFORMATION, ClassOffset), kNoClass);
      PutUlong(info.bytes, offsetof(KEY_NODE_INFORMATION, NameLength), name_bytes);
      PutName(info.bytes, kName, name);
      break;
    }
    default: {  // KeyFullInformation: no name, the class (none) and the counts
      constexpr std::size_t kClass = offsetof(KEY_FULL_INFORMATION, Class);
      info.fixed = kClass;
      info.bytes.assign(kClass, 0);
      PutUlong(info.bytes, offsetof(KEY_FULL_INFORMATION, ClassOffset), kNoClass);
      PutCounts(registry, path, info.bytes);
      break;
    }
  }
  return info;
}

}  // namespace

NTSTATUS RegistryKeys::QueryKey(const std::wstring& path, ULONG info_class, PVOID buffer,
                                ULONG length, PULONG result_length) {
  kemu::Registry& registry = kernel_.registry();
  return CopyValueInformation(
      kernel_, "ZwQueryKey", "KeyInformation",
      MakeKeyInformation(registry, path, NameOf(registry, path), info_class), buffer, length,
      result_length);
}

NTSTATUS RegistryKeys::EnumerateKey(const std::wstring& path, ULONG index, ULONG info_class,
                                    PVOID buffer, ULONG length, PULONG result_length) {
  kemu::Registry& registry = kernel_.registry();
  const std::vector<std::wstring> subkeys = registry.Subkeys(path);
  if (index >= subkeys.size()) return STATUS_NO_MORE_ENTRIES;
  const std::wstring& name = subkeys[index];
  return CopyValueInformation(
      kernel_, "ZwEnumerateKey", "KeyInformation",
      MakeKeyInformation(registry, kemu::Registry::Canonical(path + L"\\" + name), name,
                         info_class),
      buffer, length, result_length);
}

NTSTATUS RegistryKeys::DeleteKey(const std::wstring& path) {
  // The documented failure: a key with subkeys cannot be deleted (its values go with it).
  return kernel_.registry().DeleteKey(path) ? STATUS_SUCCESS : STATUS_CANNOT_DELETE;
}

}  // namespace kemu::model
