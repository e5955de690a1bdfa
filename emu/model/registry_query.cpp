// RtlQueryRegistryValues: one key's values read through a table of entries, each stored straight
// into the driver's variable (RTL_QUERY_REGISTRY_DIRECT) or handed to its QueryRoutine
// (docs/kernel.md, "Registry"; docs/windows-facts.md §17). What kemu does not model fails by name.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "model/driver_text.hpp"
#include "model/host_memory.hpp"
#include "model/kernel.hpp"
#include "model/output_range.hpp"
#include "model/registry_keys.hpp"
#include "model/registry_value_info.hpp"

namespace kemu::model {
namespace {

constexpr const char* kRoutine = "RtlQueryRegistryValues";
constexpr const char* kContext = "QueryTable[].EntryContext";
using Bytes = std::vector<std::uint8_t>;

// The flags kemu does not model, each named in the failure.
constexpr std::array<std::pair<ULONG, const char*>, 4> kUnmodelledFlags{{
    {RTL_QUERY_REGISTRY_SUBKEY, "RTL_QUERY_REGISTRY_SUBKEY"},
    {RTL_QUERY_REGISTRY_TOPKEY, "RTL_QUERY_REGISTRY_TOPKEY"},
    {RTL_QUERY_REGISTRY_NOVALUE, "RTL_QUERY_REGISTRY_NOVALUE"},
    {RTL_QUERY_REGISTRY_NOSTRING, "RTL_QUERY_REGISTRY_NOSTRING"},
}};

bool IsString(ULONG type) {
  return type == REG_SZ || type == REG_EXPAND_SZ || type == REG_MULTI_SZ;
}

// An entry's DefaultType: with RTL_QUERY_REGISTRY_TYPECHECK its top byte is the expected type.
ULONG DefaultTypeOf(const RTL_QUERY_REGISTRY_TABLE& entry) {
  return (entry.Flags & RTL_QUERY_REGISTRY_TYPECHECK) != 0
             ? entry.DefaultType & ~RTL_QUERY_REGISTRY_TYPECHECK_MASK
             : entry.DefaultType;
}

// The bytes of an entry's default. A string default with DefaultLength 0 is measured: through its
// NUL (REG_SZ, REG_EXPAND_SZ) or through the empty string ending the list (REG_MULTI_SZ). Either
// way the read is checked first: a wild DefaultData is the access violation of the kernel's read
// (audit round 17, X4).
Bytes DefaultBytes(Kernel& kernel, const RTL_QUERY_REGISTRY_TABLE& entry, ULONG type) {
  constexpr const char* kParameter = "QueryTable[].DefaultData";
  if (entry.DefaultData == nullptr) return {};
  std::size_t size = entry.DefaultLength;
  if (size == 0 && IsString(type)) {
    const DriverText text(kernel, kRoutine, kParameter,
                          static_cast<const WCHAR*>(entry.DefaultData));
    std::size_t chars = 0;
    if (type == REG_MULTI_SZ) {
      while (text.At(chars) != L'\0' || text.At(chars + 1) != L'\0') ++chars;
      chars += 2;
    } else {
      while (text.At(chars) != L'\0') ++chars;
      chars += 1;
    }
    size = chars * sizeof(WCHAR);
  }
  if (size == 0) return {};
  kernel.verifier().Dereferenced(kRoutine, entry.DefaultData, kParameter);
  if (const auto unreadable = FirstUnreadable(entry.DefaultData, size)) {
    kernel.verifier().UnreadableArgument(kRoutine, kParameter, size, *unreadable);
  }
  const auto* bytes = static_cast<const std::uint8_t*>(entry.DefaultData);
  return Bytes(bytes, bytes + size);
}

// Whether `bytes` ends with a whole NUL WCHAR: four bytes on Linux, where kemu's WCHAR is wchar_t
// (docs/differences.md), not two (audit round 17, X2).
bool EndsWithNul(const Bytes& bytes) {
  return bytes.size() >= sizeof(WCHAR) && std::all_of(bytes.end() - sizeof(WCHAR), bytes.end(),
                                                      [](std::uint8_t b) { return b == 0; });
}

std::wstring Text(const Bytes& data) {
  std::wstring text(data.size() / sizeof(WCHAR), L'\0');
  if (!text.empty()) std::memcpy(text.data(), data.data(), text.size() * sizeof(WCHAR));
  return text;
}

// One table walk: the key, the driver's context, and what the walk needs of the kernel.
class TableQuery {
 public:
  TableQuery(Kernel& kernel, std::wstring key, PVOID context)
      : kernel_(kernel), key_(std::move(key)), context_(context) {}

  NTSTATUS Entry(RTL_QUERY_REGISTRY_TABLE& entry) {
    for (const auto& [flag, name] : kUnmodelledFlags) {
      if ((entry.Flags & flag) != 0) {
        kernel_.ThrowNotModelled(fmt::format("{} with {}", kRoutine, name));
      }
    }
    const bool direct = (entry.Flags & RTL_QUERY_REGISTRY_DIRECT) != 0;
    // A direct entry stores one named value; any other entry needs its routine (UNCONFIRMED
    // which status Windows gives each, docs/windows-facts.md §17).
    if (direct && entry.Name == nullptr) return STATUS_INVALID_PARAMETER;
    if (!direct && entry.QueryRoutine == nullptr) return STATUS_INVALID_PARAMETER;
    RegistryKey* key = kernel_.registry().FindKey(key_);
    if (entry.Name == nullptr) return EveryValue(entry, key);
    const std::wstring name = DriverText(kernel_, kRoutine, "QueryTable[].Name", entry.Name).Read();
    const RegistryValue* value = key != nullptr ? key->Find(name) : nullptr;
    if (value == nullptr) {
      if ((entry.Flags & RTL_QUERY_REGISTRY_REQUIRED) != 0) return STATUS_OBJECT_NAME_NOT_FOUND;
      const ULONG type = DefaultTypeOf(entry);
      if (type == REG_NONE) return STATUS_SUCCESS;
      return Deliver(entry, name, type, DefaultBytes(kernel_, entry, type));
    }
    if (direct && (entry.Flags & RTL_QUERY_REGISTRY_TYPECHECK) != 0 &&
        value->type != entry.DefaultType >> RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) {
      return STATUS_OBJECT_TYPE_MISMATCH;
    }
    // Copied: the routine may write the registry, and DELETE removes the value.
    const RegistryValue copy = *value;
    const NTSTATUS status = Deliver(entry, name, copy.type, copy.data);
    if (status == STATUS_SUCCESS && (entry.Flags & RTL_QUERY_REGISTRY_DELETE) != 0) {
      kernel_.registry().Key(key_).Delete(name);
    }
    return status;
  }

 private:
  // An entry without a Name: the routine gets every value of the key, in order.
  NTSTATUS EveryValue(RTL_QUERY_REGISTRY_TABLE& entry, RegistryKey* key) {
    const auto values =
        key != nullptr ? key->values() : std::vector<std::pair<std::wstring, RegistryValue>>{};
    if (values.empty() && (entry.Flags & RTL_QUERY_REGISTRY_REQUIRED) != 0) {
      return STATUS_OBJECT_NAME_NOT_FOUND;
    }
    for (const auto& [name, value] : values) {
      if (const NTSTATUS status = Deliver(entry, name, value.type, value.data);
          status != STATUS_SUCCESS) {
        return status;
      }
      if ((entry.Flags & RTL_QUERY_REGISTRY_DELETE) != 0) kernel_.registry().Key(key_).Delete(name);
    }
    return STATUS_SUCCESS;
  }

  // A REG_EXPAND_SZ without RTL_QUERY_REGISTRY_NOEXPAND is expanded to a REG_SZ: kemu has no
  // environment, so a string with a %NAME% reference fails by name; one without is itself.
  void CheckExpansion(ULONG type, const Bytes& data) {
    if (type == REG_EXPAND_SZ && Text(data).find(L'%') != std::wstring::npos) {
      kernel_.ThrowNotModelled(
          fmt::format("{} expanding the %NAME% references of a REG_EXPAND_SZ value (pass "
                      "RTL_QUERY_REGISTRY_NOEXPAND; kemu has no environment to expand them from)",
                      kRoutine));
    }
  }

  NTSTATUS Deliver(RTL_QUERY_REGISTRY_TABLE& entry, const std::wstring& name, ULONG type,
                   const Bytes& data) {
    const bool expand = (entry.Flags & RTL_QUERY_REGISTRY_NOEXPAND) == 0;
    if (expand && type == REG_EXPAND_SZ) {
      CheckExpansion(type, data);
      type = REG_SZ;
    }
    if ((entry.Flags & RTL_QUERY_REGISTRY_DIRECT) != 0) {
      if (expand && type == REG_MULTI_SZ) {
        // Documented: a direct REG_MULTI_SZ needs NOEXPAND; without it each string would go to
        // the one variable in turn.
        kernel_.ThrowNotModelled(
            fmt::format("{} with RTL_QUERY_REGISTRY_DIRECT on a REG_MULTI_SZ value without "
                        "RTL_QUERY_REGISTRY_NOEXPAND",
                        kRoutine));
      }
      return StoreDirect(entry, type, data);
    }
    if (expand && type == REG_MULTI_SZ) {
      // Each string of the list, with its NUL, as a REG_SZ of its own.
      const std::wstring text = Text(data);
      for (std::size_t start = 0; start < text.size() && text[start] != L'\0';) {
        std::size_t end = text.find(L'\0', start);
        if (end == std::wstring::npos) end = text.size();
        Bytes one(reinterpret_cast<const std::uint8_t*>(text.data() + start),
                  reinterpret_cast<const std::uint8_t*>(text.data() + end));
        one.resize(one.size() + sizeof(WCHAR), 0);
        if (const NTSTATUS status = Call(entry, name, REG_SZ, one); status != STATUS_SUCCESS) {
          return status;
        }
        start = end + 1;
      }
      return STATUS_SUCCESS;
    }
    return Call(entry, name, type, data);
  }

  // The driver's QueryRoutine, with copies it may write to. An error it returns ends the table
  // walk with that status.
  NTSTATUS Call(RTL_QUERY_REGISTRY_TABLE& entry, const std::wstring& name, ULONG type,
                const Bytes& data) {
    std::wstring value_name = name;
    Bytes value_data = data;
    return entry.QueryRoutine(value_name.data(), type,
                              value_data.empty() ? nullptr : value_data.data(),
                              static_cast<ULONG>(value_data.size()), context_, entry.EntryContext);
  }

  // What a direct entry writes is checked against the pool block EntryContext (or a string's
  // Buffer) lies in, before kemu's copy could run past it (audit round 17, X11).
  NTSTATUS StoreDirect(const RTL_QUERY_REGISTRY_TABLE& entry, ULONG type, const Bytes& data) {
    kernel_.verifier().Dereferenced(kRoutine, entry.EntryContext, kContext);
    if (IsString(type)) {
      CheckOutputRange(kernel_, kRoutine, kContext, entry.EntryContext, sizeof(UNICODE_STRING));
      return StoreString(*static_cast<PUNICODE_STRING>(entry.EntryContext), data);
    }
    if (data.size() <= sizeof(ULONG)) {
      // Up to a ULONG: the bytes themselves, in the driver's variable.
      CheckOutputRange(kernel_, kRoutine, kContext, entry.EntryContext, data.size());
      if (!data.empty()) std::memcpy(entry.EntryContext, data.data(), data.size());
      return STATUS_SUCCESS;
    }
    // Larger: the buffer starts with a LONG giving its size. Negative: the data alone goes in;
    // positive: its length and type as two ULONGs, then the data.
    LONG said = 0;
    std::memcpy(&said, entry.EntryContext, sizeof said);
    auto* out = static_cast<std::uint8_t*>(entry.EntryContext);
    if (said < 0) {
      if (data.size() > static_cast<std::size_t>(-static_cast<std::int64_t>(said))) {
        return STATUS_BUFFER_TOO_SMALL;
      }
      CheckOutputRange(kernel_, kRoutine, kContext, out, data.size());
      std::memcpy(out, data.data(), data.size());
      return STATUS_SUCCESS;
    }
    if (2 * sizeof(ULONG) + data.size() > static_cast<std::size_t>(said)) {
      return STATUS_BUFFER_TOO_SMALL;
    }
    CheckOutputRange(kernel_, kRoutine, kContext, out, 2 * sizeof(ULONG) + data.size());
    const auto length = static_cast<ULONG>(data.size());
    std::memcpy(out, &length, sizeof length);
    std::memcpy(out + sizeof(ULONG), &type, sizeof type);
    std::memcpy(out + 2 * sizeof(ULONG), data.data(), data.size());
    return STATUS_SUCCESS;
  }

  // A string into the driver's UNICODE_STRING: into its buffer when that is big enough, into one
  // allocated from paged pool (the driver frees it) when Buffer is NULL. Length leaves out the
  // terminating NUL, which the buffer holds.
  NTSTATUS StoreString(UNICODE_STRING& string, const Bytes& data) {
    Bytes bytes = data;
    // A string stored without its NUL gets one.
    if (!EndsWithNul(bytes)) bytes.resize(bytes.size() + sizeof(WCHAR), 0);
    if (bytes.size() > 0xFFFF) return STATUS_BUFFER_TOO_SMALL;  // beyond any UNICODE_STRING
    const auto size = static_cast<USHORT>(bytes.size());
    if (string.Buffer == nullptr) {
      void* block = kernel_.pool().Allocate({.routine = kRoutine,
                                             .id = std::nullopt,
                                             .type = 1 /* PagedPool */,
                                             .paged = true,
                                             .bytes = size});
      if (block == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
      string.Buffer = static_cast<PWCH>(block);
      string.MaximumLength = size;
    } else if (size > string.MaximumLength) {
      return STATUS_BUFFER_TOO_SMALL;
    } else {
      CheckOutputRange(kernel_, kRoutine, "QueryTable[].EntryContext->Buffer", string.Buffer, size);
    }
    std::memcpy(string.Buffer, bytes.data(), size);
    string.Length = static_cast<USHORT>(size - sizeof(WCHAR));
    return STATUS_SUCCESS;
  }

  Kernel& kernel_;
  std::wstring key_;
  PVOID context_;
};

}  // namespace

NTSTATUS RegistryKeys::QueryTable(ULONG relative_to, PCWSTR path, PRTL_QUERY_REGISTRY_TABLE table,
                                  PVOID context) {
  const bool optional = (relative_to & RTL_REGISTRY_OPTIONAL) != 0;
  std::wstring key;
  if (const NTSTATUS status = RelativePath(relative_to, path, &key); status != STATUS_SUCCESS) {
    return status;
  }
  if ((relative_to & RTL_REGISTRY_HANDLE) == 0 && !kernel_.registry().Exists(key)) {
    return optional ? STATUS_SUCCESS : STATUS_OBJECT_NAME_NOT_FOUND;
  }
  key = kemu::Registry::Canonical(key);
  TableQuery query(kernel_, key, context);
  for (PRTL_QUERY_REGISTRY_TABLE entry = table;
       entry->QueryRoutine != nullptr || entry->Name != nullptr; ++entry) {
    if (const NTSTATUS status = query.Entry(*entry); status != STATUS_SUCCESS) return status;
  }
  return STATUS_SUCCESS;
}

}  // namespace kemu::model
